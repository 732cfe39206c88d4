module rttime

go 1.19
