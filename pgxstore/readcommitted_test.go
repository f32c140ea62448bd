package pgxstore_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWritesStateTheirIsolationLevel checks that no code of the store
// writes through the pool directly, or begins a transaction without
// stating its level: every write must go through Store.send or Store.exec,
// which run it at READ COMMITTED whatever the server's default (see
// readcommitted.go). Reads (Query, QueryRow) are single statements and may
// use the pool.
func TestWritesStateTheirIsolationLevel(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var onPool bool
			if x, ok := sel.X.(*ast.SelectorExpr); ok && x.Sel.Name == "pool" {
				onPool = true
			}
			pkg, _ := sel.X.(*ast.Ident)
			switch {
			case onPool && (sel.Sel.Name == "Exec" || sel.Sel.Name == "SendBatch" || sel.Sel.Name == "Begin" || sel.Sel.Name == "CopyFrom"):
				assert.Fail(t, "a write through the pool", "%s: use Store.exec or Store.send", fset.Position(call.Pos()))
			case pkg != nil && pkg.Name == "pgx" && (sel.Sel.Name == "BeginFunc" || sel.Sel.Name == "BeginTxFunc" && !hasIsoLevel(call)):
				assert.Fail(t, "a transaction without an isolation level", "%s: state it in pgx.TxOptions", fset.Position(call.Pos()))
			}
			return true
		})
	}
}

// hasIsoLevel reports whether the call's arguments name pgx.ReadCommitted.
func hasIsoLevel(call *ast.CallExpr) bool {
	found := false
	for _, arg := range call.Args {
		ast.Inspect(arg, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == "ReadCommitted" {
				found = true
			}
			return !found
		})
	}
	return found
}
