module gobininfo

go 1.19
