//! Issue 14, point 7: the newcomer trial's three programs.
