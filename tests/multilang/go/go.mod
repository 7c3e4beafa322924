module github.com/grovekv/grove/tests/multilang/go

go 1.19

require github.com/grovekv/grove/bindings/go v0.0.0

replace github.com/grovekv/grove/bindings/go => ../../../bindings/go
