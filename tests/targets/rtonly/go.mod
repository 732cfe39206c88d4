module rtonly

go 1.19
