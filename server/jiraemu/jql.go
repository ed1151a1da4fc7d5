package jiraemu

import (
	"fmt"
	"strings"
	"unicode"
)

// This file parses the JQL subset the emulator understands. Evaluation is in
// jqleval.go.

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokOp     // = != > >= < <= ~ !~
	tokLParen // (
	tokRParen // )
	tokComma
)

type token struct {
	kind tokKind
	text string
	pos  int // 0-based rune offset
}

// jqlError is a JQL problem; Jira answers 400 with its message.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func syntaxErr(t token, format string, args ...any) error {
	return &jqlError{msg: fmt.Sprintf("Error in the JQL Query: "+format+" (line 1, character %d)", append(args, t.pos+1)...)}
}

func lexJQL(src string) ([]token, error) {
	rs := []rune(src)
	var toks []token
	i := 0
	for i < len(rs) {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == '"' || c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(rs) {
				if rs[i] == '\\' && i+1 < len(rs) {
					b.WriteRune(rs[i+1])
					i += 2
					continue
				}
				if rs[i] == c {
					closed = true
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			if !closed {
				return nil, &jqlError{msg: fmt.Sprintf("Error in the JQL Query: The quoted string '%s' has not been completed. (line 1, character %d)", string(rs[start+1:]), start+1)}
			}
			toks = append(toks, token{tokString, b.String(), start})
		case c == '=' || c == '~':
			toks = append(toks, token{tokOp, string(c), i})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(rs) && (rs[i+1] == '=' || c == '!' && rs[i+1] == '~') {
				toks = append(toks, token{tokOp, string(rs[i : i+2]), i})
				i += 2
				continue
			}
			if c == '!' {
				toks = append(toks, token{tokWord, "NOT", i})
				i++
				continue
			}
			toks = append(toks, token{tokOp, string(c), i})
			i++
		case c == '&' || c == '|':
			if i+1 < len(rs) && rs[i+1] == c {
				w := "AND"
				if c == '|' {
					w = "OR"
				}
				toks = append(toks, token{tokWord, w, i})
				i += 2
				continue
			}
			return nil, &jqlError{msg: fmt.Sprintf("Error in the JQL Query: The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead. (line 1, character %d)", c, c, i+1)}
		default:
			start := i
			for i < len(rs) && !unicode.IsSpace(rs[i]) && !strings.ContainsRune("=!<>~(),\"'&|", rs[i]) {
				// cf[10016] and issue.property[x].y keep their brackets.
				i++
			}
			toks = append(toks, token{tokWord, string(rs[start:i]), start})
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: len(rs)})
	return toks, nil
}

// AST

type jqlExpr interface{ isExpr() }

type andExpr struct{ l, r jqlExpr }
type orExpr struct{ l, r jqlExpr }
type notExpr struct{ x jqlExpr }

// clauseExpr is "field op operand".
type clauseExpr struct {
	field    string
	fieldTok token
	op       string // =, !=, >, >=, <, <=, ~, !~, in, not in, is, is not
	values   []jqlValue
	list     bool // operand was a parenthesised list
}

func (andExpr) isExpr()    {}
func (orExpr) isExpr()     {}
func (notExpr) isExpr()    {}
func (clauseExpr) isExpr() {}

// jqlValue is an operand: a literal, EMPTY, or a function call.
type jqlValue struct {
	text  string
	tok   token
	empty bool
	fn    string // lower-cased function name, or ""
	args  []string
}

type sortKey struct {
	field string
	tok   token
	desc  bool
}

type jqlQuery struct {
	where jqlExpr // nil: unbounded
	order []sortKey
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func isKeyword(t token, kw string) bool { return t.kind == tokWord && strings.EqualFold(t.text, kw) }

var reservedWords = map[string]bool{"AND": true, "OR": true, "NOT": true, "IN": true, "IS": true, "ORDER": true, "BY": true, "EMPTY": true, "NULL": true}

func parseJQL(src string) (*jqlQuery, error) {
	toks, err := lexJQL(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q := &jqlQuery{}
	if !isKeyword(p.peek(), "ORDER") && p.peek().kind != tokEOF {
		if q.where, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	if isKeyword(p.peek(), "ORDER") {
		p.next()
		if t := p.next(); !isKeyword(t, "BY") {
			return nil, syntaxErr(t, "Expecting 'by' but got '%s'.", t.text)
		}
		for {
			t := p.next()
			if t.kind != tokWord && t.kind != tokString || t.kind == tokWord && reservedWords[strings.ToUpper(t.text)] {
				return nil, syntaxErr(t, "Expecting a field name at position but got '%s'.", t.text)
			}
			k := sortKey{field: t.text, tok: t}
			if isKeyword(p.peek(), "ASC") {
				p.next()
			} else if isKeyword(p.peek(), "DESC") {
				p.next()
				k.desc = true
			}
			q.order = append(q.order, k)
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		if q.where != nil && len(q.order) == 0 {
			return nil, syntaxErr(t, "Expecting either 'OR' or 'AND' but got '%s'.", t.text)
		}
		return nil, syntaxErr(t, "Expecting ',' but got '%s'.", t.text)
	}
	if len(q.order) > 7 {
		return nil, &jqlError{msg: "The ORDER BY clause can contain a maximum of 7 fields."}
	}
	return q, nil
}

func (p *parser) parseOr() (jqlExpr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for isKeyword(p.peek(), "OR") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd() (jqlExpr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for isKeyword(p.peek(), "AND") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *parser) parseNot() (jqlExpr, error) {
	t := p.peek()
	if isKeyword(t, "NOT") {
		p.next()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	if t.kind == tokLParen {
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, syntaxErr(c, "Expecting ')' but got '%s'.", c.text)
		}
		return x, nil
	}
	return p.parseClause()
}

func (p *parser) parseClause() (jqlExpr, error) {
	ft := p.next()
	if ft.kind == tokEOF {
		return nil, syntaxErr(ft, "Expecting a field name but reached the end of the query.")
	}
	if ft.kind != tokWord && ft.kind != tokString || ft.kind == tokWord && reservedWords[strings.ToUpper(ft.text)] {
		return nil, syntaxErr(ft, "Expecting a field name but got '%s'. You must surround '%s' in quotation marks to use it as a field name.", ft.text, ft.text)
	}
	c := clauseExpr{field: ft.text, fieldTok: ft}
	ot := p.next()
	switch {
	case ot.kind == tokOp:
		c.op = ot.text
	case isKeyword(ot, "IN"):
		c.op = "in"
	case isKeyword(ot, "NOT"):
		if n := p.next(); !isKeyword(n, "IN") {
			return nil, syntaxErr(n, "Expecting 'IN' but got '%s'.", n.text)
		}
		c.op = "not in"
	case isKeyword(ot, "IS"):
		c.op = "is"
		if isKeyword(p.peek(), "NOT") {
			p.next()
			c.op = "is not"
		}
	case ot.kind == tokEOF:
		return nil, syntaxErr(ot, "Expecting operator but reached the end of the query. Valid operators are '=', '!=', '~', '!~', '<', '<=', '>', '>=', 'in', 'not in', 'is' and 'is not'.")
	default:
		return nil, syntaxErr(ot, "Expecting operator but got '%s'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.", ot.text)
	}
	if p.peek().kind == tokLParen {
		if c.op != "in" && c.op != "not in" {
			return nil, syntaxErr(p.peek(), "Expecting a value but got '('.")
		}
		p.next()
		c.list = true
		for {
			v, err := p.parseValue()
			if err != nil {
				return nil, err
			}
			c.values = append(c.values, v)
			t := p.next()
			if t.kind == tokRParen {
				break
			}
			if t.kind != tokComma {
				return nil, syntaxErr(t, "Expecting ',' or ')' but got '%s'.", t.text)
			}
		}
		return c, nil
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	c.values = []jqlValue{v}
	return c, nil
}

func (p *parser) parseValue() (jqlValue, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return jqlValue{text: t.text, tok: t}, nil
	case tokWord:
		up := strings.ToUpper(t.text)
		if up == "EMPTY" || up == "NULL" {
			return jqlValue{empty: true, tok: t}, nil
		}
		if reservedWords[up] {
			return jqlValue{}, syntaxErr(t, "Expecting either a value, list or function but got '%s'. You must surround '%s' in quotation marks to use it as a value.", t.text, t.text)
		}
		if p.peek().kind == tokLParen {
			p.next()
			v := jqlValue{fn: strings.ToLower(t.text), tok: t}
			if p.peek().kind == tokRParen {
				p.next()
				return v, nil
			}
			for {
				a := p.next()
				if a.kind != tokWord && a.kind != tokString {
					return jqlValue{}, syntaxErr(a, "Expecting a function argument but got '%s'.", a.text)
				}
				v.args = append(v.args, a.text)
				n := p.next()
				if n.kind == tokRParen {
					return v, nil
				}
				if n.kind != tokComma {
					return jqlValue{}, syntaxErr(n, "Expecting ',' or ')' but got '%s'.", n.text)
				}
			}
		}
		return jqlValue{text: t.text, tok: t}, nil
	case tokEOF:
		return jqlValue{}, syntaxErr(t, "Expecting either a value, list or function but reached the end of the query.")
	}
	return jqlValue{}, syntaxErr(t, "Expecting either a value, list or function but got '%s'.", t.text)
}
