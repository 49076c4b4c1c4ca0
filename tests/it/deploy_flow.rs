//! The Agents deployment flow and webhook-endpoint management against polyai-mock.
