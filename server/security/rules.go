package security

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Principal mapping rules turn the subject of a verified client certificate
// (its distinguished name in RFC 2253 form, "CN=alice,OU=eng,O=Acme,C=US")
// into a user name, in the form Kafka's ssl.principal.mapping.rules and
// Redpanda's kafka_mtls_principal_mapping_rules use:
//
//	RULE:pattern/replacement/[LU], ..., DEFAULT
//
// Rules are tried in order and the first whose pattern matches the whole DN
// gives the name: the DN with every match of the pattern replaced by the
// replacement ($1, ${name}: groups; \x: a literal x), lower-cased with L or
// upper-cased with U. DEFAULT gives the DN itself. A DN no rule matches is
// refused. Patterns are Go regular expressions (RE2), which accept the
// patterns of Kafka's documentation; Java's look-arounds and back references
// are refused when the rules are parsed.

// The grammar is Kafka's (SslPrincipalMapper), so that rules written for
// Kafka split and parse the same way here: a rule's pattern and replacement
// may hold commas, and "\/" is a slash inside them.
const rulePattern = `(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`

var (
	ruleSplitter = regexp.MustCompile(`\s*(` + rulePattern + `)\s*(,\s*|$)`)
	ruleParser   = regexp.MustCompile(`^(?:` + rulePattern + `)`)
)

// ErrNoMatchingRule is returned by Rules.Map for a DN no rule matches.
var ErrNoMatchingRule = errors.New("no principal mapping rule matches the certificate subject")

// Rules is a parsed list of principal mapping rules. The zero value (and a
// list of no rules) maps every DN as DEFAULT does.
type Rules struct {
	rules []rule
	text  string
}

type rule struct {
	isDefault   bool
	whole       *regexp.Regexp // the pattern anchored at both ends: does it match the DN?
	pattern     *regexp.Regexp // the pattern as given: what is replaced
	replacement string
	lower       bool
	upper       bool
}

// DefaultRules is the rule list a broker uses unless told otherwise.
const DefaultRules = "DEFAULT"

// ParseRules reads a comma-separated list of rules. Empty entries are
// skipped; anything else that is neither DEFAULT nor a well-formed RULE is
// an error naming it.
func ParseRules(s string) (Rules, error) {
	out := Rules{text: s}
	for _, m := range ruleSplitter.FindAllStringSubmatch(strings.TrimSpace(s), -1) {
		text := m[1]
		p := ruleParser.FindStringSubmatch(text)
		if p == nil || len(p[0]) != len(text) {
			return Rules{}, fmt.Errorf("principal mapping rule %q: want DEFAULT or RULE:pattern/replacement/[L|U]", text)
		}
		switch {
		case p[1] != "":
			out.rules = append(out.rules, rule{isDefault: true})
		case strings.HasPrefix(text, "RULE:"):
			r, err := newRule(p[2], p[4], p[6])
			if err != nil {
				return Rules{}, fmt.Errorf("principal mapping rule %q: %w", text, err)
			}
			out.rules = append(out.rules, r)
		}
		// Otherwise the entry is empty (the catch-all alternative matched
		// nothing): skipped, as Kafka skips it.
	}
	return out, nil
}

func newRule(pattern, replacement, flags string) (rule, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return rule{}, fmt.Errorf("pattern: %w", err)
	}
	whole, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return rule{}, fmt.Errorf("pattern: %w", err)
	}
	if err := checkReplacement(replacement, re); err != nil {
		return rule{}, err
	}
	return rule{whole: whole, pattern: re, replacement: replacement, lower: flags == "L", upper: flags == "U"}, nil
}

// String gives the rules as they were parsed.
func (r Rules) String() string {
	if len(r.rules) == 0 {
		return DefaultRules
	}
	return r.text
}

// Map returns the name the first matching rule gives dn, or
// ErrNoMatchingRule.
func (r Rules) Map(dn string) (string, error) {
	if len(r.rules) == 0 {
		return dn, nil
	}
	for _, ru := range r.rules {
		if name, ok := ru.apply(dn); ok {
			return name, nil
		}
	}
	return "", ErrNoMatchingRule
}

func (ru rule) apply(dn string) (string, bool) {
	if ru.isDefault {
		return dn, true
	}
	if !ru.whole.MatchString(dn) {
		return "", false
	}
	var b strings.Builder
	last := 0
	for _, m := range ru.pattern.FindAllStringSubmatchIndex(dn, -1) {
		b.WriteString(dn[last:m[0]])
		expand(&b, ru.replacement, ru.pattern, dn, m)
		last = m[1]
	}
	b.WriteString(dn[last:])
	out := b.String()
	switch {
	case ru.lower:
		out = strings.ToLower(out)
	case ru.upper:
		out = strings.ToUpper(out)
	}
	return out, true
}

// expand writes a replacement as Java's Matcher.appendReplacement reads it,
// with Kafka's leniency: $n is group n (as many digits as name an existing
// group; a group that does not exist stays literal text), ${name} a named
// group, \x a literal x.
func expand(b *strings.Builder, repl string, re *regexp.Regexp, s string, m []int) {
	groups := re.NumSubexp()
	group := func(i int) {
		if m[2*i] >= 0 {
			b.WriteString(s[m[2*i]:m[2*i+1]])
		}
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '\\' && i+1 < len(repl):
			i++
			b.WriteByte(repl[i])
		case c == '$' && i+1 < len(repl) && repl[i+1] == '{':
			end := strings.IndexByte(repl[i:], '}')
			group(re.SubexpIndex(repl[i+2 : i+end]))
			i += end
		case c == '$' && i+1 < len(repl) && isDigit(repl[i+1]) && int(repl[i+1]-'0') <= groups:
			n, j := int(repl[i+1]-'0'), i+2
			for j < len(repl) && isDigit(repl[j]) && n*10+int(repl[j]-'0') <= groups {
				n = n*10 + int(repl[j]-'0')
				j++
			}
			group(n)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
}

// checkReplacement refuses what Java would refuse when applying the rule:
// a ${name} naming no group and a $ followed by neither a digit nor {.
func checkReplacement(repl string, re *regexp.Regexp) error {
	for i := 0; i < len(repl); i++ {
		switch repl[i] {
		case '\\':
			i++
		case '$':
			switch {
			case i+1 < len(repl) && isDigit(repl[i+1]):
			case i+1 < len(repl) && repl[i+1] == '{':
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return fmt.Errorf("replacement %q: ${ without }", repl)
				}
				if name := repl[i+2 : i+end]; re.SubexpIndex(name) < 0 {
					return fmt.Errorf("replacement %q: the pattern has no group named %q", repl, name)
				}
				i += end
			default:
				return fmt.Errorf("replacement %q: $ must be followed by a group number or {name} (write \\$ for a dollar)", repl)
			}
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
