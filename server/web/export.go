package web

// The backlog view exported as CSV or JSON.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// maxExportRows bounds one export (the store pages by 500).
const maxExportRows = 20000

// exportRow is one line of an export: the view's row with its position.
type exportRow struct {
	Rank int `json:"rank"`
	backlogRow
}

// backlogExport is the ranked backlog under the view's filters and sort,
// as CSV or JSON, for download.
func (s *Server) backlogExport(c echo.Context) error {
	project, err := projectParam(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "csv" && format != "json" {
		return BadRequest("format: must be csv or json.")
	}
	q := backlogQueryOf(c.QueryParams())
	ts := s.Store.Tenant(identity(c).Tenant)
	ctx := c.Request().Context()
	var rows []exportRow
	for q.Offset, q.Limit = 0, 500; ; q.Offset += q.Limit {
		page, total, err := ts.Backlog(ctx, project, q)
		if err != nil {
			return err
		}
		if total > maxExportRows {
			return BadRequest(fmt.Sprintf("The view has %d issues; an export holds at most %d. Narrow the filters.", total, maxExportRows))
		}
		for _, r := range backlogRows(page) {
			rows = append(rows, exportRow{Rank: len(rows) + 1, backlogRow: r})
		}
		if len(page) < q.Limit {
			break
		}
	}
	name := fmt.Sprintf("%s-backlog-%s.%s", project, time.Now().UTC().Format("20060102-1504"), format)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	if format == "json" {
		filters := map[string]string{}
		for _, k := range []string{"sort", "dir", "moscow", "flag", "type", "q", "all", "subtasks"} {
			if v := c.QueryParam(k); v != "" {
				filters[k] = v
			}
		}
		if rows == nil {
			rows = []exportRow{}
		}
		return c.JSON(http.StatusOK, map[string]any{"project": project, "exportedAt": time.Now().UTC(), "filters": filters, "rows": rows})
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so that spreadsheet apps read UTF-8
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"rank", "key", "summary", "type", "score", "moscow", "quality", "estimate", "estimate_suggested", "flags"})
	for _, r := range rows {
		est := ""
		if r.Estimate != nil {
			est = strconv.FormatFloat(*r.Estimate, 'f', -1, 64)
		}
		rec := []string{strconv.Itoa(r.Rank), r.Key, r.Summary, r.Type, strconv.Itoa(r.Score), r.Moscow, strconv.Itoa(r.Quality),
			est, strconv.FormatBool(r.Suggested != nil), strings.Join(r.Flags, " ")}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvSafe keeps a spreadsheet from running a cell as a formula: text
// starting with = + - @ (or a tab or carriage return, which some apps skip
// before one) gets a leading quote, as OWASP advises.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
