module stackshapes

go 1.19
