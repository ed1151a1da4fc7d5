package generate

import "unicode"

// DiffOp is one run of a word-level diff.
type DiffOp struct {
	Op   string `json:"op"` // equal, insert, delete
	Text string `json:"text"`
}

// maxDiffEdits bounds the edit distance Diff searches; beyond it the texts
// share too little for a word diff to help and the answer is "delete all,
// insert all".
const maxDiffEdits = 1500

// Diff is the word-level difference from a to b (Myers' algorithm over
// words, runs of spaces and single punctuation marks). Joining the equal
// and delete texts gives a; equal and insert give b.
func Diff(a, b string) []DiffOp {
	ta, tb := tokens(a), tokens(b)
	ops, ok := myers(ta, tb)
	if !ok {
		ops = nil
		for _, t := range ta {
			ops = append(ops, DiffOp{"delete", t})
		}
		for _, t := range tb {
			ops = append(ops, DiffOp{"insert", t})
		}
	}
	return coalesce(ops)
}

// tokens splits s into words, runs of white space and single other
// characters.
func tokens(s string) []string {
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i + 1
		switch {
		case isWordRune(rs[i]):
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
		case unicode.IsSpace(rs[i]):
			for j < len(rs) && unicode.IsSpace(rs[j]) {
				j++
			}
		}
		out = append(out, string(rs[i:j]))
		i = j
	}
	return out
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '\''
}

// myers finds a shortest edit script from a to b. It reports false when
// the script would need more than maxDiffEdits edits.
func myers(a, b []string) ([]DiffOp, bool) {
	n, m := len(a), len(b)
	max := min(n+m, maxDiffEdits)
	off := max + 1
	v := make([]int, 2*max+3)
	// trace[d] holds v[k] for k in [-d, d] after step d.
	var trace [][]int
	end := -1
	for d := 0; d <= max && end < 0; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert b[y-1]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x-1]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				end = d
			}
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
	}
	if end < 0 {
		return nil, false
	}
	var rev []DiffOp
	x, y := n, m
	for d := end; d > 0; d-- {
		prev := trace[d-1]
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		// The snake after the move.
		sx, sy := px, py
		if pk == k+1 {
			sy++
		} else {
			sx++
		}
		for x > sx && y > sy {
			rev = append(rev, DiffOp{"equal", a[x-1]})
			x, y = x-1, y-1
		}
		if pk == k+1 {
			rev = append(rev, DiffOp{"insert", b[y-1]})
			y--
		} else {
			rev = append(rev, DiffOp{"delete", a[x-1]})
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, DiffOp{"equal", a[x-1]})
		x, y = x-1, y-1
	}
	out := make([]DiffOp, len(rev))
	for i, op := range rev {
		out[len(rev)-1-i] = op
	}
	return out, true
}

// coalesce joins neighbouring runs of the same op.
func coalesce(ops []DiffOp) []DiffOp {
	var out []DiffOp
	for _, op := range ops {
		if n := len(out); n > 0 && out[n-1].Op == op.Op {
			out[n-1].Text += op.Text
			continue
		}
		out = append(out, op)
	}
	if out == nil {
		out = []DiffOp{}
	}
	return out
}
