// Command polyai-actions-oracle is the reference side of polyai-actions' Go parity tests: it
// renders templates with Go's own text/template over data decoded by Go's own encoding/json,
// so that the Rust engine can be compared with Go byte for byte.
//
// Standard library only. Modes:
//
//	polyai-actions-oracle render CASES.json                  results of every case, as JSON, on stdout
//	polyai-actions-oracle floats --seed S --count N [--sample K]
//	                                                         SHA-256 of N PRNG floats printed with %v
//	polyai-actions-oracle bench --template FILE --data FILE --iterations N [--missing-key M]
//	                                                         renders per second, one JSON line
//
// A cases file is {"group": "...", "data": ..., "cases": [{"name", "template", "data",
// "missing_key"}]}, missing_key being "default", "zero" or "error"; a case without "data"
// renders over the file's "data". The results file it writes is
// {"group", "go", "results": [{"name", "ok", "output"} | {"name", "ok": false, "error_kind",
// "error_message", "error_line", "error_column"}]}, in the order of the cases.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

const usage = `usage:
  polyai-actions-oracle render CASES.json
  polyai-actions-oracle floats --seed S --count N [--sample K]
  polyai-actions-oracle bench --template FILE --data FILE --iterations N [--missing-key default|zero|error]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "render":
		err = runRender(os.Args[2:])
	case "floats":
		err = runFloats(os.Args[2:])
	case "bench":
		err = runBench(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		err = fmt.Errorf("unknown mode %q\n%s", os.Args[1], usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------------------------------------
// render

type caseFile struct {
	Group string          `json:"group"`
	Data  json.RawMessage `json:"data"` // the data of the cases that have none of their own
	Cases []testCase      `json:"cases"`
}

type testCase struct {
	Name       string          `json:"name"`
	Template   string          `json:"template"`
	Data       json.RawMessage `json:"data"`
	MissingKey string          `json:"missing_key"`
}

type resultFile struct {
	Group   string   `json:"group"`
	Go      string   `json:"go"`
	Results []result `json:"results"`
}

type result struct {
	Name         string  `json:"name"`
	OK           bool    `json:"ok"`
	Output       *string `json:"output,omitempty"`
	ErrorKind    string  `json:"error_kind,omitempty"`
	ErrorMessage string  `json:"error_message,omitempty"`
	ErrorLine    *int    `json:"error_line,omitempty"`
	ErrorColumn  *int    `json:"error_column,omitempty"`
}

func runRender(args []string) error {
	if len(args) != 1 {
		return errors.New("render takes exactly one cases file")
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var file caseFile
	if err := json.Unmarshal(raw, &file); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	out := resultFile{Group: file.Group, Go: runtime.Version(), Results: make([]result, 0, len(file.Cases))}
	seen := map[string]bool{}
	for _, c := range file.Cases {
		if seen[c.Name] {
			return fmt.Errorf("%s: duplicate case name %q", args[0], c.Name)
		}
		seen[c.Name] = true
		if len(c.Data) == 0 {
			c.Data = file.Data
		}
		r, err := renderCase(c)
		if err != nil {
			return fmt.Errorf("%s: case %q: %w", args[0], c.Name, err)
		}
		out.Results = append(out.Results, r)
	}
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	return w.Flush()
}

// renderCase renders one case the way Go would: template.New("t"), the case's missingkey
// option, Parse, then Execute into a buffer with the data decoded by encoding/json into an
// interface{} (objects map[string]interface{}, arrays []interface{}, numbers float64).
// The returned error is about the case file itself (bad data, bad mode), never the template.
func renderCase(c testCase) (result, error) {
	switch c.MissingKey {
	case "default", "zero", "error":
	default:
		return result{}, fmt.Errorf("missing_key must be default, zero or error, not %q", c.MissingKey)
	}
	if len(c.Data) == 0 {
		return result{}, errors.New("the case has no data and its file none either")
	}
	var data interface{}
	if err := json.Unmarshal(c.Data, &data); err != nil {
		return result{}, fmt.Errorf("data: %w", err)
	}
	r := result{Name: c.Name}
	tmpl, err := template.New("t").Option("missingkey=" + c.MissingKey).Parse(c.Template)
	if err != nil {
		fillError(&r, c.Template, err, true)
		return r, nil
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		fillError(&r, c.Template, err, false)
		return r, nil
	}
	if !utf8.Valid(buf.Bytes()) {
		return result{}, errors.New("output is not valid UTF-8; such a case cannot be recorded in JSON")
	}
	s := buf.String()
	r.OK = true
	r.Output = &s
	return r, nil
}

func fillError(r *result, source string, err error, parsing bool) {
	kind, line, column := classify(source, err, parsing)
	r.OK = false
	r.ErrorKind = kind
	r.ErrorMessage = err.Error()
	if line > 0 {
		r.ErrorLine = &line
	}
	if column > 0 {
		r.ErrorColumn = &column
	}
}

var (
	// Parse and lex errors: "template: t:LINE: message".
	parseLocation = regexp.MustCompile(`^template: t:(\d+): `)
	// Execution errors: `template: t:LINE:BYTE: executing "t" at <context>: message`, BYTE
	// being the 0-based byte offset of the failing node within its line.
	execLocation = regexp.MustCompile(`^template: t:(\d+):(\d+): executing "t" at <`)

	// The endings of Go's execution messages, matched at the end of the whole message (the
	// context before them is a piece of the template and must not decide the kind).
	execKinds = []struct {
		kind    string
		pattern *regexp.Regexp
	}{
		{"missing_key", regexp.MustCompile(`>: map has no entry for key "[^"]*"$`)},
		{"missing_key", regexp.MustCompile(`>: nil data; no entry for key "[^"]*"$`)},
		{"wrong_argument_count", regexp.MustCompile(`>: wrong number of args for \w+: want (at least )?\d+ got \d+$`)},
		{"field_on_non_map", regexp.MustCompile(`>: can't evaluate field \w+ in type [^:]+$`)},
		{"field_on_non_map", regexp.MustCompile(`>: nil pointer evaluating [^:]+\.\w+$`)},
		{"not_a_function", regexp.MustCompile(`>: can't give argument to non-function .*$`)},
		{"not_a_function", regexp.MustCompile(`>: \w+ is not a method but has arguments$`)},
	}
)

// classify maps a Go text/template error onto the engine's ErrorKind names (snake_case) and
// the position it names, as (kind, line, column): line 1-based, column 1-based in characters
// (Go prints a 0-based byte offset within the line; it is converted here so that it means
// what polyai_actions::template::Position means). Go gives only a line for parse errors, so
// their column is 0 (absent).
//
// The rules, in order:
//   - anything returned by Parse is "parse" (Go's lexer and parser errors: syntax, undefined
//     variables and functions, unexpected tokens, bad literals);
//   - a builtin function's own error, which Go wraps as "error calling NAME: CAUSE", is
//     "index" for any cause when NAME is index; for the comparison functions the cause
//     decides: "incompatible types for comparison" is incompatible_types, "invalid type for
//     comparison" and "non-comparable type(s) ..." (eq on maps or slices) are
//     invalid_comparison, "missing argument for comparison" is missing_argument;
//   - otherwise the end of the message decides (execKinds above): missing_key for
//     missingkey=error's "map has no entry for key" (and "nil data; no entry for key", the
//     same rule applied to a nil receiver), wrong_argument_count, field_on_non_map for
//     "can't evaluate field" and "nil pointer evaluating", not_a_function for arguments given
//     to something that is not a function;
//   - anything else is "exec".
func classify(source string, err error, parsing bool) (kind string, line, column int) {
	msg := err.Error()
	if parsing {
		if m := parseLocation.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return "parse", line, 0
	}
	if m := execLocation.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		byteInLine, _ := strconv.Atoi(m[2])
		column = characterColumn(source, line, byteInLine)
	}
	var exec template.ExecError
	if errors.As(err, &exec) {
		if cause := errors.Unwrap(exec.Err); cause != nil {
			name := calledFunction(exec.Err.Error(), cause.Error())
			return calledKind(name, cause.Error()), line, column
		}
	}
	for _, k := range execKinds {
		if k.pattern.MatchString(msg) {
			return k.kind, line, column
		}
	}
	return "exec", line, column
}

// calledFunction extracts NAME from a message ending in "error calling NAME: CAUSE".
func calledFunction(msg, cause string) string {
	head := strings.TrimSuffix(msg, ": "+cause)
	i := strings.LastIndex(head, "error calling ")
	if i < 0 {
		return ""
	}
	return head[i+len("error calling "):]
}

func calledKind(name, cause string) string {
	switch name {
	case "index":
		return "index"
	case "eq", "ne", "lt", "le", "gt", "ge":
		switch {
		case cause == "incompatible types for comparison":
			return "incompatible_types"
		case cause == "invalid type for comparison",
			strings.HasPrefix(cause, "non-comparable type"):
			return "invalid_comparison"
		case cause == "missing argument for comparison":
			return "missing_argument"
		}
	}
	return "exec"
}

// characterColumn turns Go's (line, 0-based byte offset in that line) into a 1-based column
// counted in characters.
func characterColumn(source string, line, byteInLine int) int {
	start := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(source[start:], '\n')
		if i < 0 {
			return byteInLine + 1
		}
		start += i + 1
	}
	end := start + byteInLine
	if end > len(source) {
		end = len(source)
	}
	return utf8.RuneCountInString(source[start:end]) + 1
}

// ---------------------------------------------------------------------------------------------
// floats

// splitmix64 is the PRNG shared with polyai-actions/tests/go_parity.rs (same constants, same
// order of draws): state += 0x9e3779b97f4a7c15, then two xor-shift-multiply rounds.
type splitmix64 struct{ state uint64 }

func (s *splitmix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// nextFloat draws one float64 from one of these families, chosen by next()%16:
//
//	0-7   any bit pattern, redrawn while it is NaN or an infinity
//	8-9   k / 10^j, k < 10^8, j < 20, random sign ("nice" decimals such as 0.1 or 123.45)
//	10    an integer in 1e6 +- 1000
//	11    one of the 2000 float64 neighbours of 1e21 (bit pattern +- 1000)
//	12    an integer in 2^53 +- 2000 (converted to float64 with rounding to nearest even)
//	13    a bit-pattern neighbour (+- 8) of 10^e for e in -30..30
//	14    an integer in +- 1e6
//	15    a subnormal, or a value within 1000 bit patterns of the largest float64; random sign
func (s *splitmix64) nextFloat() float64 {
	switch s.next() % 16 {
	case 8, 9:
		k := s.next() % 100000000
		j := s.next() % 20
		p := uint64(1)
		for i := uint64(0); i < j; i++ {
			p *= 10
		}
		f := float64(k) / float64(p)
		if s.next()&1 == 1 {
			f = -f
		}
		return f
	case 10:
		return float64(int64(1000000) + int64(s.next()%2001) - 1000)
	case 11:
		return math.Float64frombits(math.Float64bits(1e21) + s.next()%2001 - 1000)
	case 12:
		return float64(int64(1)<<53 + int64(s.next()%4001) - 2000)
	case 13:
		e := int(s.next()%61) - 30
		base, _ := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		return math.Float64frombits(math.Float64bits(base) + s.next()%17 - 8)
	case 14:
		return float64(int64(s.next()%2000001) - 1000000)
	case 15:
		var bits uint64
		if s.next()&1 == 0 {
			bits = s.next() % (1 << 52)
		} else {
			bits = 0x7fefffffffffffff - s.next()%1000
		}
		if s.next()&1 == 1 {
			bits |= 1 << 63
		}
		return math.Float64frombits(bits)
	default:
		for {
			f := math.Float64frombits(s.next())
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	}
}

// runFloats prints, on the first line, the SHA-256 (hex) of "<%v of the value>\n" for every
// one of the --count values; then, for the first --sample values, one line each:
// "<bit pattern, 16 hex digits>\t<%v of the value>".
func runFloats(args []string) error {
	fs := flag.NewFlagSet("floats", flag.ContinueOnError)
	seed := fs.Uint64("seed", 0, "PRNG seed")
	count := fs.Int("count", 100000, "number of values")
	sample := fs.Int("sample", 0, "number of values to print in readable form after the hash")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rng := splitmix64{state: *seed}
	hash := sha256.New()
	var lines strings.Builder
	for i := 0; i < *count; i++ {
		f := rng.nextFloat()
		text := fmt.Sprint(f) // what text/template prints for a float64: fmt's %v
		io.WriteString(hash, text)
		io.WriteString(hash, "\n")
		if i < *sample {
			fmt.Fprintf(&lines, "%016x\t%s\n", math.Float64bits(f), text)
		}
	}
	fmt.Println(hex.EncodeToString(hash.Sum(nil)))
	fmt.Print(lines.String())
	return nil
}

// ---------------------------------------------------------------------------------------------
// bench

func runBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	templateFile := fs.String("template", "", "template file")
	dataFile := fs.String("data", "", "JSON data file")
	iterations := fs.Int("iterations", 100000, "renders")
	missingKey := fs.String("missing-key", "error", "default, zero or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *templateFile == "" || *dataFile == "" || *iterations <= 0 {
		return errors.New("bench needs --template, --data and a positive --iterations")
	}
	source, err := os.ReadFile(*templateFile)
	if err != nil {
		return err
	}
	rawData, err := os.ReadFile(*dataFile)
	if err != nil {
		return err
	}
	var data interface{}
	if err := json.Unmarshal(rawData, &data); err != nil {
		return fmt.Errorf("%s: %w", *dataFile, err)
	}
	tmpl, err := template.New("t").Option("missingkey=" + *missingKey).Parse(string(source))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return err
	}
	outputBytes := buf.Len()
	start := time.Now()
	for i := 0; i < *iterations; i++ {
		buf.Reset()
		if err := tmpl.Execute(&buf, data); err != nil {
			return err
		}
	}
	seconds := time.Since(start).Seconds()
	line, _ := json.Marshal(map[string]interface{}{
		"engine":             "go " + runtime.Version() + " text/template",
		"iterations":         *iterations,
		"seconds":            seconds,
		"renders_per_second": float64(*iterations) / seconds,
		"output_bytes":       outputBytes,
	})
	fmt.Println(string(line))
	return nil
}
