package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed context_gen.go must be what ctxgen writes now: a plain call added, renamed or
// changed without `go generate` fails here.
func TestContextGenUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..")
	want, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, outName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go generate` in bindings/go", outName)
	}
}

// Every name in skip must still be a call the package declares, so the list cannot rot.
func TestSkipNamesExist(t *testing.T) {
	src, err := Generate(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	files, err := filepath.Glob(filepath.Join("..", "..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "func ") {
				all[line] = true
			}
		}
	}
	for name, why := range skip {
		if why == "" {
			t.Errorf("%s: skipped without a reason", name)
		}
		recv, method, found := strings.Cut(name, ".")
		if !found {
			method, recv = recv, ""
		}
		ok := false
		for line := range all {
			if strings.Contains(line, " "+method+"(") && (recv == "" || strings.Contains(line, "*"+recv+")")) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("skip names %s, which the package does not declare", name)
		}
		if bytes.Contains(src, []byte(" "+method+"Context(")) && recv != "" &&
			bytes.Contains(src, []byte("*"+recv+") "+method+"Context(")) {
			t.Errorf("%s is skipped but was generated", name)
		}
	}
}
