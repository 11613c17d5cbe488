package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text writes the report as plain text (UTF-8, LF line ends), for a
// terminal, a text file or a line printer.
func (r *Report) Text(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, s := range r.sections() {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		title := strings.ToUpper(s.Title)
		fmt.Fprintln(bw, title)
		fmt.Fprintln(bw, strings.Repeat("=", utf8.RuneCountInString(title)))
		if s.Alert != "" {
			fmt.Fprintln(bw, "!!! "+strings.ReplaceAll(s.Alert, "\n", "\n!!! "))
		}
		if s.OK != "" {
			fmt.Fprintln(bw, s.OK)
		}
		width := 0
		for _, f := range s.Fields {
			width = max(width, utf8.RuneCountInString(f.Label))
		}
		for _, f := range s.Fields {
			for j, l := range f.Lines {
				label := f.Label
				if j > 0 {
					label = ""
				}
				fmt.Fprintf(bw, "%-*s  %s\n", width, label, l)
			}
		}
		for _, t := range s.Tables {
			fmt.Fprintln(bw)
			writeTextTable(bw, t)
		}
		for _, n := range s.Notes {
			fmt.Fprintln(bw)
			fmt.Fprintln(bw, n)
		}
		for _, who := range s.Signatures {
			fmt.Fprintln(bw)
			fmt.Fprintln(bw, who)
			fmt.Fprintln(bw, "  name ______________________________  signature ______________________________  date ____________")
		}
	}
	return bw.Flush()
}

func writeTextTable(w io.Writer, t table) {
	if t.Caption != "" {
		fmt.Fprintln(w, t.Caption+":")
	}
	widths := make([]int, len(t.Head))
	for i, h := range t.Head {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range t.Rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		fmt.Fprintln(w, "  "+strings.TrimRight(b.String(), " "))
	}
	line(t.Head)
	if len(t.Rows) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, row := range t.Rows {
		line(row)
	}
}
