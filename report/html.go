package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
	"strings"
)

//go:embed report.css
var css string

//go:embed report.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"css":   func() template.CSS { return template.CSS(css) },
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}).Parse(htmlTemplate))

// HTML writes the report as one self-contained HTML file (styles inline,
// no scripts, no external resources) laid out for printing on A4 or
// Letter paper. Every value is HTML-escaped by html/template.
func (r *Report) HTML(w io.Writer) error {
	var buf bytes.Buffer
	data := struct {
		Title    string
		Sections []section
	}{
		Title:    "coldsig ceremony record " + r.Parties[0].Plan.Words,
		Sections: r.sections(),
	}
	if err := tmpl.Execute(&buf, data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
