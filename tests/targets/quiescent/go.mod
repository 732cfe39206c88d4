module quiescent

go 1.19
