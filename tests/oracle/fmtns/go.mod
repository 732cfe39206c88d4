module fmtns

go 1.19
