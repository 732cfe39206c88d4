module benchload

go 1.19
