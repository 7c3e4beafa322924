// Command ctxgen writes context_gen.go of package grovekv: for every exported function and
// method that returns an error (as its last result) and may do I/O, an XContext variant that
// takes a context.Context first, returns the context's error (wrapped by checkCtx) without
// calling libgrove when the context is already done, and otherwise is exactly the plain call.
//
// It skips calls that take a context already (Lock.Acquire, DB.WithLock, Queue.DequeueWait),
// calls whose XContext is written by hand in the package (the waiting and lazy ones), and the
// calls listed in skip. Run it with `go generate` in bindings/go; ctxgen's test fails when
// context_gen.go is not what it would write.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// skip lists the calls that get no Context variant, with why; the package README repeats it.
var skip = map[string]string{
	"DB.Close":             "closing must always run to completion (as sql.DB.Close)",
	"Iterator.Close":       "closing must always run to completion",
	"Iterator.Err":         "reports an error already met, calls nothing",
	"DB.Namespace":         "makes a prefixed view of this handle, no I/O on any engine",
	"DB.SetMaxDrift":       "a setting of this process's engine, no I/O on any engine",
	"DB.MaxDrift":          "a setting of this process's engine, no I/O on any engine",
	"Error.Unwrap":         "the error interface's plumbing, no call",
	"DB.Metrics":           "reads this handle's counters in memory, no I/O on any engine",
	"DB.MetricsPrometheus": "reads this handle's counters in memory, no I/O on any engine",
}

const outName = "context_gen.go"

// call is one exported function or method that gets a Context variant.
type call struct {
	recvName string // receiver variable ("" for a function)
	recvType string // receiver type without '*' ("" for a function)
	decl     *ast.FuncDecl
	file     *ast.File
}

func (c call) qualified() string {
	if c.recvType == "" {
		return c.decl.Name.Name
	}
	return c.recvType + "." + c.decl.Name.Name
}

func main() {
	dir := flag.String("dir", ".", "the package directory")
	out := flag.String("out", outName, "the file to write, relative to -dir")
	flag.Parse()
	src, err := Generate(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctxgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*dir, *out), src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "ctxgen:", err)
		os.Exit(1)
	}
}

// Generate returns the source of context_gen.go for the package in dir.
func Generate(dir string) ([]byte, error) {
	fset := token.NewFileSet()
	files, err := parseDir(fset, dir)
	if err != nil {
		return nil, err
	}
	// Every declared function, by qualified name, to know which XContext exist already.
	declared := map[string]bool{}
	var calls []call
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			c := call{decl: fd, file: f}
			if fd.Recv != nil {
				if len(fd.Recv.List) != 1 {
					return nil, fmt.Errorf("%s: odd receiver", fset.Position(fd.Pos()))
				}
				field := fd.Recv.List[0]
				t := field.Type
				if star, ok := t.(*ast.StarExpr); ok {
					t = star.X
				}
				id, ok := t.(*ast.Ident)
				if !ok {
					return nil, fmt.Errorf("%s: odd receiver type", fset.Position(fd.Pos()))
				}
				c.recvType = id.Name
				if len(field.Names) == 1 {
					c.recvName = field.Names[0].Name
				}
			}
			declared[c.qualified()] = true
			if wanted(c) {
				calls = append(calls, c)
			}
		}
	}
	var kept []call
	for _, c := range calls {
		if _, skipped := skip[c.qualified()]; skipped || declared[c.qualified()+"Context"] {
			continue
		}
		kept = append(kept, c)
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].recvType != kept[j].recvType {
			return kept[i].recvType < kept[j].recvType
		}
		return kept[i].decl.Name.Name < kept[j].decl.Name.Name
	})
	return render(fset, kept)
}

// parseDir parses the package's non-test Go files, except the generated one.
func parseDir(fset *token.FileSet, dir string) ([]*ast.File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []*ast.File
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasSuffix(base, "_test.go") || base == outName {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if f.Name.Name != "grovekv" {
			return nil, fmt.Errorf("%s: package %s, want grovekv", name, f.Name.Name)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return files, nil
}

// wanted: exported, on an exported receiver (or none), last result error, no context yet.
func wanted(c call) bool {
	fd := c.decl
	if !fd.Name.IsExported() || (c.recvType != "" && !ast.IsExported(c.recvType)) {
		return false
	}
	res := fd.Type.Results
	if res == nil || len(res.List) == 0 {
		return false
	}
	if id, ok := res.List[len(res.List)-1].Type.(*ast.Ident); !ok || id.Name != "error" {
		return false
	}
	if params := fd.Type.Params.List; len(params) > 0 {
		if sel, ok := params[0].Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "context" {
				return false
			}
		}
	}
	return true
}

func render(fset *token.FileSet, calls []call) ([]byte, error) {
	var body bytes.Buffer
	imports := map[string]string{"context": "context"}
	for _, c := range calls {
		if err := renderCall(&body, fset, c, imports); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	buf.WriteString("// Code generated by ctxgen (go generate in bindings/go); DO NOT EDIT.\n\n")
	buf.WriteString("package grovekv\n\nimport (\n")
	paths := make([]string, 0, len(imports))
	for _, p := range imports {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(&buf, "\t%q\n", p)
	}
	buf.WriteString(")\n")
	buf.Write(body.Bytes())
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the output: %v\n%s", err, buf.Bytes())
	}
	return src, nil
}

// renderCall writes the Context variant of c, adding the packages its types use to imports.
func renderCall(w *bytes.Buffer, fset *token.FileSet, c call, imports map[string]string) error {
	fd := c.decl
	where := fset.Position(fd.Pos())
	expr := func(e ast.Expr) (string, error) {
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, e); err != nil {
			return "", err
		}
		// Record the package of every qualified identifier (json.RawMessage, time.Duration).
		var ierr error
		ast.Inspect(e, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			path, found := importPath(c.file, x.Name)
			if !found {
				ierr = fmt.Errorf("%s: no import for %s", where, x.Name)
				return false
			}
			imports[x.Name] = path
			return true
		})
		return b.String(), ierr
	}

	// Parameters: ctx first, then the plain call's, forwarded as they are.
	params := []string{"ctx context.Context"}
	var args []string
	taken := map[string]bool{"ctx": true, "err": true}
	for _, p := range fd.Type.Params.List {
		t, err := expr(p.Type)
		if err != nil {
			return err
		}
		if len(p.Names) == 0 {
			return fmt.Errorf("%s: %s has an unnamed parameter", where, c.qualified())
		}
		var names []string
		for _, n := range p.Names {
			if taken[n.Name] || n.Name == "_" || n.Name == c.recvName {
				return fmt.Errorf("%s: %s: parameter name %q clashes with the generated code", where, c.qualified(), n.Name)
			}
			taken[n.Name] = true
			names = append(names, n.Name)
			if _, variadic := p.Type.(*ast.Ellipsis); variadic {
				args = append(args, n.Name+"...")
			} else {
				args = append(args, n.Name)
			}
		}
		params = append(params, strings.Join(names, ", ")+" "+t)
	}
	// Results: types only; the zero values of all but the error on a done context.
	var results, zeros []string
	for _, r := range fd.Type.Results.List {
		t, err := expr(r.Type)
		if err != nil {
			return err
		}
		n := len(r.Names)
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			results = append(results, t)
		}
	}
	for i, t := range results[:len(results)-1] {
		name := "r" + strconv.Itoa(i)
		if taken[name] {
			return fmt.Errorf("%s: %s: parameter name %q clashes with the generated code", where, c.qualified(), name)
		}
		zeros = append(zeros, name+" "+t)
	}

	name := fd.Name.Name
	op := c.qualified()
	w.WriteString("\n")
	w.WriteString(comment(fmt.Sprintf("%sContext is %s with a context: when ctx is already done it returns ctx's "+
		"error, wrapped (errors.Is(err, context.Canceled) or context.DeadlineExceeded), without calling "+
		"libgrove; otherwise it is %s, with a call to a Redis server that has not answered by ctx's "+
		"deadline failing then (an error that comes as ctx ends matches ctx's error too).", name, name, name)))
	recv := ""
	target := name
	if c.recvType != "" {
		rn := c.recvName
		if rn == "" || rn == "_" {
			return fmt.Errorf("%s: %s has no receiver name", where, op)
		}
		recv = fmt.Sprintf("(%s *%s) ", rn, c.recvType)
		if _, ok := fd.Recv.List[0].Type.(*ast.StarExpr); !ok {
			recv = fmt.Sprintf("(%s %s) ", rn, c.recvType)
		}
		target = rn + "." + name
	}
	resultList := strings.Join(results, ", ")
	if len(results) > 1 {
		resultList = "(" + resultList + ")"
	}
	fmt.Fprintf(w, "func %s%sContext(%s) %s {\n", recv, name, strings.Join(params, ", "), resultList)
	fmt.Fprintf(w, "\tif err := checkCtx(ctx, %q); err != nil {\n", op)
	switch len(zeros) {
	case 0:
		w.WriteString("\t\treturn err\n")
	case 1:
		fmt.Fprintf(w, "\t\tvar %s\n", zeros[0])
		fmt.Fprintf(w, "\t\treturn %s, err\n", strings.Fields(zeros[0])[0])
	default:
		var names []string
		w.WriteString("\t\tvar (\n")
		for _, z := range zeros {
			fmt.Fprintf(w, "\t\t\t%s\n", z)
			names = append(names, strings.Fields(z)[0])
		}
		w.WriteString("\t\t)\n")
		fmt.Fprintf(w, "\t\treturn %s, err\n", strings.Join(names, ", "))
	}
	w.WriteString("\t}\n")
	// The call runs under ctx's deadline (bindDeadline), and an error that came as ctx ended
	// is also ctx's (ctxResult).
	w.WriteString("\tdefer bindDeadline(ctx)()\n")
	var outs []string
	for _, z := range zeros {
		outs = append(outs, strings.Fields(z)[0])
	}
	outs = append(outs, "err")
	fmt.Fprintf(w, "\t%s := %s(%s)\n", strings.Join(outs, ", "), target, strings.Join(args, ", "))
	outs[len(outs)-1] = fmt.Sprintf("ctxResult(ctx, %q, err)", op)
	fmt.Fprintf(w, "\treturn %s\n}\n", strings.Join(outs, ", "))
	return nil
}

// importPath finds the import path a file gives the package name ident.
func importPath(f *ast.File, ident string) (string, bool) {
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == ident {
			return path, true
		}
	}
	return "", false
}

// comment renders text as a // comment wrapped at 96 columns.
func comment(text string) string {
	var b strings.Builder
	line := "//"
	for _, word := range strings.Fields(text) {
		if len(line)+1+len(word) > 96 && line != "//" {
			b.WriteString(line + "\n")
			line = "//"
		}
		line += " " + word
	}
	b.WriteString(line + "\n")
	return b.String()
}
