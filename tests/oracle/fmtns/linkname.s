// Empty assembly file: lets the package declare body-less functions for go:linkname.
