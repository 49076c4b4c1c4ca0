module polyai-actions-oracle

go 1.19
