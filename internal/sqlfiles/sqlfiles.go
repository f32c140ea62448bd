// Package sqlfiles reads the migration files the stores embed, named
// VERSION_name.sql, in the order they apply.
package sqlfiles

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Migration is one file of a store's migrations.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Read returns the files *.sql of fsys, each named VERSION_name.sql,
// sorted by version.
func Read(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]Migration, 0, len(names))
	for _, name := range names { // fs.Glob sorts, and versions are zero-padded.
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name does not start with a version", name)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(text)})
	}
	return ms, nil
}
