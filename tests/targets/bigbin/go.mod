module bigbin

go 1.19
