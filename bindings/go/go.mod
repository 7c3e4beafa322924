module github.com/grovekv/grove/bindings/go

go 1.19
