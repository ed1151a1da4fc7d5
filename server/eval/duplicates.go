package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/domain"
)

// Duplicates measures the duplicate index on DIR/duplicates: every issue of
// hadoop_issues.csv is indexed, then for each row of hadoop_pairs.csv the
// later-created issue of the pair is the query (as when a reporter files a
// new issue that already exists) and the earlier one must appear among the
// top k candidates, ranked against all other issues. Rows listing a pair in
// both directions count twice, with the same query, so Pairs is the row
// count.
func Duplicates(dir string) (*DuplicatesResult, error) {
	res, _, err := duplicates(dir, dupes.DefaultOptions())
	return res, err
}

// pairRank is one pair's outcome: the target's 1-based rank in the query's
// candidates, 0 when not in the top maxK.
type pairRank struct {
	query, target string
	rank          int
}

const maxK = 10

func duplicates(dir string, opt dupes.Options) (*DuplicatesResult, []pairRank, error) {
	issues, err := readHadoopIssues(filepath.Join(dir, "duplicates", "hadoop_issues.csv"))
	if err != nil {
		return nil, nil, fmt.Errorf("eval duplicates: %w", err)
	}
	pairs, err := readPairs(filepath.Join(dir, "duplicates", "hadoop_pairs.csv"))
	if err != nil {
		return nil, nil, fmt.Errorf("eval duplicates: %w", err)
	}
	byKey := make(map[string]*domain.Issue, len(issues))
	idx := dupes.New(opt)
	for i := range issues {
		byKey[issues[i].Key] = &issues[i]
		idx.Add(issues[i])
	}

	res := &DuplicatesResult{}
	var ranks []pairRank
	hits := [3]int{}
	for _, p := range pairs {
		a, b := byKey[p[0]], byKey[p[1]]
		if a == nil || b == nil {
			return nil, nil, fmt.Errorf("eval duplicates: pair %s,%s names an issue not in hadoop_issues.csv", p[0], p[1])
		}
		q, t := a, b
		if b.Created.After(a.Created) || b.Created.Equal(a.Created) && b.Key > a.Key {
			q, t = b, a
		}
		cands, err := idx.QueryKey(q.Key, maxK)
		if err != nil {
			return nil, nil, fmt.Errorf("eval duplicates: %w", err)
		}
		rank := 0
		for i, c := range cands {
			if c.Key == t.Key {
				rank = i + 1
				break
			}
		}
		ranks = append(ranks, pairRank{query: q.Key, target: t.Key, rank: rank})
		for i, k := range [3]int{1, 5, 10} {
			if rank > 0 && rank <= k {
				hits[i]++
			}
		}
	}
	res.Pairs = len(pairs)
	if res.Pairs > 0 {
		n := float64(res.Pairs)
		res.RecallAt1, res.RecallAt5, res.RecallAt10 = float64(hits[0])/n, float64(hits[1])/n, float64(hits[2])/n
	}
	return res, ranks, nil
}

// hadoopTime is the layout of the Created column ("30/Sep/21 17:20").
const hadoopTime = "02/Jan/06 15:04"

// readHadoopIssues reads the GitBugs export. Descriptions are quoted and
// span lines; encoding/csv handles that, and the column count is checked on
// every record so a quoting slip cannot shift fields silently.
func readHadoopIssues(path string) ([]domain.Issue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read issues: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read issues %s: header: %w", path, err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	for _, name := range []string{"Summary", "Issue id", "Priority", "Created", "Description"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("read issues %s: missing column %q", path, name)
		}
	}
	seen := make(map[string]bool)
	var issues []domain.Issue
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read issues %s: %w", path, err)
		}
		id := rec[col["Issue id"]]
		if id == "" || seen[id] {
			return nil, fmt.Errorf("read issues %s: line %d: empty or repeated issue id %q", path, lineOf(r), id)
		}
		seen[id] = true
		created, err := time.Parse(hadoopTime, rec[col["Created"]])
		if err != nil {
			return nil, fmt.Errorf("read issues %s: issue %s: %w", path, id, err)
		}
		issues = append(issues, domain.Issue{
			ID:          id,
			Key:         id,
			ProjectKey:  "HADOOP",
			Type:        domain.TypeBug,
			Summary:     rec[col["Summary"]],
			Description: rec[col["Description"]],
			Priority:    rec[col["Priority"]],
			Created:     created,
		})
	}
	return issues, nil
}

func lineOf(r *csv.Reader) int {
	line, _ := r.FieldPos(0)
	return line
}

// readPairs reads (Issue id, Duplicate id) rows.
func readPairs(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read pairs %s: %w", path, err)
	}
	if len(recs) == 0 || recs[0][0] != "Issue id" {
		return nil, fmt.Errorf("read pairs %s: missing header", path)
	}
	pairs := make([][2]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		pairs = append(pairs, [2]string{rec[0], rec[1]})
	}
	return pairs, nil
}
