// Command gobininfo is goscope's independent test oracle for Go binaries.
//
// It reads a Go ELF executable with nothing but the standard library
// (debug/buildinfo, debug/elf, debug/dwarf, debug/gosym) and prints what the
// tests need to check goscope's own binary analysis against, as one JSON
// object on stdout.
//
// Usage:
//
//	gobininfo [-sym NAME]... [-field TYPE:PATH]... [-lines N] [-pcs FILE] [-funcnames] BINARY
//
// -sym looks NAME up in the ELF symbol table (.symtab); the result is
// {"addr": N, "size": N}, or null when the binary has no such symbol (or no
// symbol table at all). Function names are also looked up in .gopclntab,
// which survives stripping, and reported under "pcln_funcs".
//
// -field resolves PATH, a dotted member path such as cpuStats.gcAssistTime,
// inside the DWARF struct type TYPE (e.g. runtime.workType). The result is
// the member's byte offset from the start of TYPE (nested offsets added up),
// or null when the type, a member or DWARF itself is missing. A path element
// may carry an array index, as in "name[3]". An empty PATH ("TYPE:") gives
// the size of TYPE.
//
// -pcs FILE reads program counters, one a line (decimal or 0x hex; FILE "-" is
// stdin), and reports for each the function debug/gosym says contains it, that
// function's entry, and the file and line of that very address, under "pcs"
// ({"pc", "func", "entry", "file", "line"}; "func" null outside every
// function). It answers for the address given: a caller that holds a return
// address asks for the address before it, as the runtime's traceback does.
//
// -funcnames lists every name of the pclntab's function name table under
// "func_names": the functions of the binary and those that only exist inlined
// into others (Go 1.18+ table layout).
//
// Addresses are the link-time values in the file (not relocated for PIE).
// Exit status: 0 on success, 1 if BINARY cannot be read as ELF, 2 on usage
// errors.
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type symInfo struct {
	Addr int64 `json:"addr"`
	Size int64 `json:"size"`
}

type funcInfo struct {
	Entry int64 `json:"entry"`
	End   int64 `json:"end"`
}

// pcLine is one instruction's source position as debug/gosym's PCToLine gives it.
type pcLine struct {
	PC   int64  `json:"pc"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// pcInfo is what debug/gosym knows of one address.
type pcInfo struct {
	PC    int64   `json:"pc"`
	Func  *string `json:"func"`
	Entry int64   `json:"entry"`
	File  string  `json:"file"`
	Line  int     `json:"line"`
}

type report struct {
	Path           string               `json:"path"`
	GoVersion      *string              `json:"go_version"`
	BuildInfoErr   string               `json:"buildinfo_error,omitempty"`
	MainPath       string               `json:"main_path,omitempty"`
	Settings       map[string]string    `json:"settings"`
	ElfType        string               `json:"elf_type"`
	Machine        string               `json:"machine"`
	Entry          int64                `json:"entry"`
	TextStart      *int64               `json:"text_start"`
	TextEnd        *int64               `json:"text_end"`
	HasSymtab      bool                 `json:"has_symtab"`
	HasDynsym      bool                 `json:"has_dynsym"`
	HasDWARF       bool                 `json:"has_dwarf"`
	HasPclntab     bool                 `json:"has_pclntab"`
	Interp         string               `json:"interp,omitempty"`
	Needed         []string             `json:"needed"`
	Symbols        map[string]*symInfo  `json:"symbols"`
	PclnFuncs      map[string]*funcInfo `json:"pcln_funcs"`
	PCLines        []pcLine             `json:"pc_lines,omitempty"`
	PCs            []pcInfo             `json:"pcs,omitempty"`
	FuncNames      []string             `json:"func_names,omitempty"`
	Fields         map[string]*int64    `json:"fields"`
	FieldErrors    map[string]string    `json:"field_errors,omitempty"`
	DWARFErr       string               `json:"dwarf_error,omitempty"`
	PclntabErr     string               `json:"pclntab_error,omitempty"`
	PclnTextStart  *int64               `json:"pcln_text_start,omitempty"`
	PclnTextSource string               `json:"pcln_text_source,omitempty"`
	SymbolCount    int                  `json:"symbol_count"`
	SectionsFound  []string             `json:"sections"`
}

func i64(v uint64) *int64 {
	x := int64(v)
	return &x
}

func elfTypeName(t elf.Type) string {
	switch t {
	case elf.ET_EXEC:
		return "EXEC"
	case elf.ET_DYN:
		return "DYN"
	case elf.ET_REL:
		return "REL"
	case elf.ET_CORE:
		return "CORE"
	}
	return t.String()
}

func main() {
	var syms, fields listFlag
	lines := flag.Int("lines", 0, "source lines of three PCs (entry, middle, last byte) in each of N functions spread over the table")
	pcsFile := flag.String("pcs", "", "file of program counters, one a line (- for stdin): function, entry, file and line of each")
	funcNames := flag.Bool("funcnames", false, "every name of the pclntab's function name table (inlined-only functions too)")
	flag.Var(&syms, "sym", "ELF symbol to look up (repeatable)")
	flag.Var(&fields, "field", "TYPE:PATH struct member offset to resolve from DWARF (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: gobininfo [-sym NAME]... [-field TYPE:PATH]... [-lines N] [-pcs FILE] [-funcnames] BINARY\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	for _, f := range fields {
		if !strings.Contains(f, ":") {
			fmt.Fprintf(os.Stderr, "gobininfo: -field %q: want TYPE:PATH\n", f)
			os.Exit(2)
		}
	}
	path := flag.Arg(0)
	var pcs []uint64
	if *pcsFile != "" {
		var err error
		if pcs, err = readPCs(*pcsFile); err != nil {
			fmt.Fprintf(os.Stderr, "gobininfo: -pcs: %v\n", err)
			os.Exit(2)
		}
	}

	f, err := elf.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobininfo: %v\n", err)
		os.Exit(1)
	}
	defer f.Close()

	r := &report{
		Path:      path,
		Settings:  map[string]string{},
		ElfType:   elfTypeName(f.Type),
		Machine:   f.Machine.String(),
		Entry:     int64(f.Entry),
		Symbols:   map[string]*symInfo{},
		PclnFuncs: map[string]*funcInfo{},
		Fields:    map[string]*int64{},
		Needed:    []string{},
	}

	// Build information (go version, -buildmode, CGO_ENABLED, -ldflags ...).
	if bi, err := buildinfo.ReadFile(path); err != nil {
		r.BuildInfoErr = err.Error()
	} else {
		v := bi.GoVersion
		r.GoVersion = &v
		r.MainPath = bi.Path
		for _, s := range bi.Settings {
			r.Settings[s.Key] = s.Value
		}
	}

	for _, s := range f.Sections {
		r.SectionsFound = append(r.SectionsFound, s.Name)
		switch s.Name {
		case ".symtab":
			r.HasSymtab = true
		case ".dynsym":
			r.HasDynsym = true
		case ".text":
			r.TextStart = i64(s.Addr)
			r.TextEnd = i64(s.Addr + s.Size)
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				r.Interp = string(bytes.TrimRight(b, "\x00"))
			}
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && libs != nil {
		r.Needed = libs
	}

	r.HasPclntab = pclntabSection(f) != nil
	lookupSymbols(f, r, syms)
	lookupPcln(f, r, syms, *lines, pcs, *funcNames)
	lookupFields(f, r, fields)

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		fmt.Fprintf(os.Stderr, "gobininfo: %v\n", err)
		os.Exit(1)
	}
}

func lookupSymbols(f *elf.File, r *report, names []string) {
	for _, n := range names {
		r.Symbols[n] = nil
	}
	all, err := f.Symbols()
	if err != nil {
		return // no .symtab: every symbol stays null
	}
	r.SymbolCount = len(all)
	if len(names) == 0 {
		return
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, s := range all {
		if !want[s.Name] || r.Symbols[s.Name] != nil {
			continue
		}
		if elf.ST_TYPE(s.Info) == elf.STT_SECTION || elf.ST_TYPE(s.Info) == elf.STT_FILE {
			continue
		}
		r.Symbols[s.Name] = &symInfo{Addr: int64(s.Value), Size: int64(s.Size)}
	}
}

// lookupPcln resolves function names through .gopclntab, which Go keeps even
// in binaries linked with -s -w.
func lookupPcln(f *elf.File, r *report, names []string, lines int, pcs []uint64, funcNames bool) {
	if len(names) == 0 && lines == 0 && pcs == nil && !funcNames {
		return
	}
	for _, n := range names {
		r.PclnFuncs[n] = nil
	}
	sec := pclntabSection(f)
	if sec == nil {
		return
	}
	data, err := sec.Data()
	if err != nil {
		r.PclntabErr = err.Error()
		return
	}
	if funcNames {
		if r.FuncNames, err = pclnFuncNames(f, data); err != nil {
			r.PclntabErr = err.Error()
			return
		}
	}
	// debug/gosym needs the address the pclntab's PCs are relative to
	// (runtime.text). Prefer the symbol; without a symbol table use the
	// pclntab header's textStart (Go 1.18-1.25 fill it in; newer releases
	// leave 0), and finally the start of .text, which equals runtime.text
	// for internally linked binaries.
	var textStart uint64
	src := ""
	if all, err := f.Symbols(); err == nil {
		for _, s := range all {
			if s.Name == "runtime.text" {
				textStart, src = s.Value, "symtab"
				break
			}
		}
	}
	if src == "" {
		if v := pclnHeaderTextStart(f, data); v != 0 {
			textStart, src = v, "pclntab_header"
		}
	}
	if src == "" {
		if t := f.Section(".text"); t != nil {
			textStart, src = t.Addr, ".text"
		}
	}
	r.PclnTextStart = i64(textStart)
	r.PclnTextSource = src
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, textStart))
	if err != nil {
		r.PclntabErr = err.Error()
		return
	}
	for _, n := range names {
		if fn := tab.LookupFunc(n); fn != nil {
			r.PclnFuncs[n] = &funcInfo{Entry: int64(fn.Entry), End: int64(fn.End)}
		}
	}
	sampleLines(tab, r, lines)
	lookupPCs(tab, r, pcs)
}

// readPCs reads one program counter a line; blank lines are skipped.
func readPCs(name string) ([]uint64, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	pcs := []uint64{}
	for _, ln := range strings.Split(string(data), "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		v, err := strconv.ParseUint(ln, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("bad program counter %q", ln)
		}
		pcs = append(pcs, v)
	}
	return pcs, nil
}

// lookupPCs gives the function, entry, file and line of each address.
func lookupPCs(tab *gosym.Table, r *report, pcs []uint64) {
	for _, pc := range pcs {
		info := pcInfo{PC: int64(pc)}
		if fn := tab.PCToFunc(pc); fn != nil {
			name := fn.Name
			info.Func = &name
			info.Entry = int64(fn.Entry)
			info.File, info.Line, _ = tab.PCToLine(pc)
		}
		r.PCs = append(r.PCs, info)
	}
}

// pclnFuncNames splits the function name table of a Go 1.18+ pclntab: the
// bytes from funcnameOffset to cuOffset, NUL-terminated names. The header is
// magic(4) pad(2) minLC(1) ptrSize(1), then nfunc, nfiles, textStart,
// funcnameOffset, cuOffset ... each ptrSize bytes.
func pclnFuncNames(f *elf.File, data []byte) ([]string, error) {
	if len(data) < 8 {
		return nil, errors.New("pclntab too short")
	}
	magic := f.ByteOrder.Uint32(data)
	if magic != 0xfffffff0 && magic != 0xfffffff1 {
		return nil, fmt.Errorf("pclntab magic %#x: not the Go 1.18+ layout", magic)
	}
	ps := int(data[7])
	if ps != 4 && ps != 8 || len(data) < 8+5*ps {
		return nil, errors.New("bad pclntab header")
	}
	word := func(i int) uint64 {
		b := data[8+i*ps:]
		if ps == 8 {
			return f.ByteOrder.Uint64(b)
		}
		return uint64(f.ByteOrder.Uint32(b))
	}
	start, end := word(3), word(4)
	if start > end || end > uint64(len(data)) {
		return nil, errors.New("bad function name table bounds")
	}
	names := []string{}
	for _, n := range bytes.Split(data[start:end], []byte{0}) {
		if len(n) > 0 {
			names = append(names, string(n))
		}
	}
	return names, nil
}

// sampleLines records the source position of the first, a middle and the last
// byte of n functions spread evenly over the table.
func sampleLines(tab *gosym.Table, r *report, n int) {
	if n <= 0 || len(tab.Funcs) == 0 {
		return
	}
	step := len(tab.Funcs) / n
	if step == 0 {
		step = 1
	}
	for i := 0; i < len(tab.Funcs); i += step {
		fn := &tab.Funcs[i]
		if fn.End <= fn.Entry {
			continue
		}
		for _, pc := range []uint64{fn.Entry, fn.Entry + (fn.End-fn.Entry)/2, fn.End - 1} {
			file, line, _ := tab.PCToLine(pc)
			r.PCLines = append(r.PCLines, pcLine{PC: int64(pc), File: file, Line: line})
		}
	}
}

// pclntabSection finds the Go pc-line table; internally linked PIE binaries
// of some releases name it .data.rel.ro.gopclntab.
func pclntabSection(f *elf.File) *elf.Section {
	for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
		if s := f.Section(name); s != nil && s.Type != elf.SHT_NOBITS {
			return s
		}
	}
	return nil
}

// pclnHeaderTextStart reads the textStart word of a Go 1.18+ pclntab header:
// magic(4) pad(2) minLC(1) ptrSize(1) nfunc(ptr) nfiles(ptr) textStart(ptr).
func pclnHeaderTextStart(f *elf.File, data []byte) uint64 {
	if len(data) < 8 {
		return 0
	}
	magic := f.ByteOrder.Uint32(data)
	if magic != 0xfffffff0 && magic != 0xfffffff1 {
		return 0 // older layouts carry no textStart
	}
	ps := int(data[7])
	if ps != 4 && ps != 8 || len(data) < 8+3*ps {
		return 0
	}
	b := data[8+2*ps:]
	if ps == 8 {
		return f.ByteOrder.Uint64(b)
	}
	return uint64(f.ByteOrder.Uint32(b))
}

type fieldReq struct {
	key      string
	typeName string
	path     string
}

func lookupFields(f *elf.File, r *report, specs []string) {
	for _, s := range specs {
		r.Fields[s] = nil
	}
	d, err := f.DWARF()
	if err != nil {
		r.DWARFErr = err.Error()
		return
	}
	r.HasDWARF = true
	if len(specs) == 0 {
		return
	}

	var reqs []fieldReq
	wantTypes := map[string]bool{}
	for _, s := range specs {
		i := strings.LastIndex(s, ":")
		q := fieldReq{key: s, typeName: s[:i], path: s[i+1:]}
		reqs = append(reqs, q)
		wantTypes[q.typeName] = true
	}

	// One pass over all DIEs: remember the first complete definition of each
	// wanted type name.
	found := map[string]dwarf.Offset{}
	rd := d.Reader()
	for {
		e, err := rd.Next()
		if err != nil {
			r.DWARFErr = err.Error()
			break
		}
		if e == nil {
			break
		}
		switch e.Tag {
		case dwarf.TagStructType, dwarf.TagTypedef, dwarf.TagUnionType, dwarf.TagBaseType, dwarf.TagArrayType:
			name, _ := e.Val(dwarf.AttrName).(string)
			if name != "" && wantTypes[name] {
				if _, ok := found[name]; !ok {
					if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); !decl {
						found[name] = e.Offset
					}
				}
			}
			if e.Children {
				rd.SkipChildren()
			}
		case dwarf.TagCompileUnit:
			// descend
		default:
			if e.Children {
				rd.SkipChildren()
			}
		}
		if len(found) == len(wantTypes) {
			break
		}
	}

	errs := map[string]string{}
	for _, q := range reqs {
		off, ok := found[q.typeName]
		if !ok {
			errs[q.key] = "type not found"
			continue
		}
		t, err := d.Type(off)
		if err != nil {
			errs[q.key] = err.Error()
			continue
		}
		v, err := resolvePath(t, q.path)
		if err != nil {
			errs[q.key] = err.Error()
			continue
		}
		r.Fields[q.key] = &v
	}
	if len(errs) > 0 {
		r.FieldErrors = errs
	}
}

func unwrap(t dwarf.Type) dwarf.Type {
	for {
		switch x := t.(type) {
		case *dwarf.TypedefType:
			t = x.Type
		case *dwarf.QualType:
			t = x.Type
		default:
			return t
		}
	}
}

// resolvePath returns the byte offset of the member at path inside t, or the
// size of t when path is empty.
func resolvePath(t dwarf.Type, path string) (int64, error) {
	if path == "" {
		return t.Size(), nil
	}
	var off int64
	cur := unwrap(t)
	for _, elem := range strings.Split(path, ".") {
		name, idx, hasIdx, err := splitIndex(elem)
		if err != nil {
			return 0, err
		}
		st, ok := cur.(*dwarf.StructType)
		if !ok {
			return 0, fmt.Errorf("%q: %s is not a struct", elem, cur.String())
		}
		var fld *dwarf.StructField
		for _, sf := range st.Field {
			if sf.Name == name {
				fld = sf
				break
			}
		}
		if fld == nil {
			hint := ""
			for _, sf := range st.Field {
				if strings.EqualFold(sf.Name, name) {
					hint = fmt.Sprintf(" (did you mean %q?)", sf.Name)
				}
			}
			return 0, fmt.Errorf("no member %q in %s%s", name, structName(st), hint)
		}
		off += fld.ByteOffset
		cur = unwrap(fld.Type)
		if hasIdx {
			at, ok := cur.(*dwarf.ArrayType)
			if !ok {
				return 0, fmt.Errorf("%q: member is not an array", elem)
			}
			if at.Count >= 0 && idx >= at.Count {
				return 0, fmt.Errorf("%q: index out of range [0,%d)", elem, at.Count)
			}
			off += idx * at.Type.Size()
			cur = unwrap(at.Type)
		}
	}
	return off, nil
}

func structName(st *dwarf.StructType) string {
	if st.StructName != "" {
		return st.StructName
	}
	return "anonymous struct"
}

func splitIndex(elem string) (name string, idx int64, has bool, err error) {
	i := strings.IndexByte(elem, '[')
	if i < 0 {
		return elem, 0, false, nil
	}
	if !strings.HasSuffix(elem, "]") {
		return "", 0, false, errors.New("bad index in " + strconv.Quote(elem))
	}
	n, err := strconv.ParseInt(elem[i+1:len(elem)-1], 10, 64)
	if err != nil || n < 0 {
		return "", 0, false, errors.New("bad index in " + strconv.Quote(elem))
	}
	return elem[:i], n, true, nil
}
