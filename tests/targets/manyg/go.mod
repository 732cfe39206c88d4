module manyg

go 1.19
