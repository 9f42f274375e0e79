package security

import (
	"errors"
	"strings"
	"testing"
)

// The cases below are Kafka's own (SslPrincipalMapperTest), so that rules
// written for Kafka mean the same here.

func TestMappingRulesKafkaAcceptsAreAccepted(t *testing.T) {
	for _, s := range []string{
		"DEFAULT",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
		"RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
		"RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
		"RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
		"RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
		"RULE:.*CN=([^,]+).*/$1/L",
	} {
		if _, err := ParseRules(s); err != nil {
			t.Errorf("ParseRules(%q): %v", s, err)
		}
	}
}

func TestMappingRulesKafkaRefusesAreRefused(t *testing.T) {
	for _, s := range []string{
		"default",
		"DEFAUL",
		"DEFAULT/L",
		"DEFAULT/U",
		"RULE:CN=(.*?),OU=ServiceUsers.*/$1",
		"rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
		// Sluice's own: what RE2 or the replacement cannot mean.
		"RULE:^CN=(?=x).*$/$1/",
		"RULE:^CN=(.*)$/${user}/",
		"RULE:^CN=(.*)$/cost: $$/",
	} {
		if r, err := ParseRules(s); err == nil {
			t.Errorf("ParseRules(%q) = %v, want an error", s, describe(r))
		} else if !strings.Contains(err.Error(), "principal mapping rule") {
			t.Errorf("ParseRules(%q): error %q does not say what it refuses", s, err)
		}
	}
}

func TestMappingRulesFirstMatchWins(t *testing.T) {
	r, err := ParseRules(strings.Join([]string{
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L",
		"RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U",
		"RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U",
		"DEFAULT",
	}, ", "))
	if err != nil {
		t.Fatal(err)
	}
	for dn, want := range map[string]string{
		"CN=Duke,OU=ServiceUsers,O=Org,C=US":        "duke",
		"CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US": "duke@sme",
		"cn=duke,ou=sme,dc=mycp,dc=com":             "DUKE@SME",
		"cN=duke,OU=JavaSoft,O=Sun Microsystems":    "DUKE",
		"OU=JavaSoft,O=Sun Microsystems,C=US":       "OU=JavaSoft,O=Sun Microsystems,C=US",
	} {
		if got, err := r.Map(dn); err != nil || got != want {
			t.Errorf("Map(%q) = %q, %v; want %q", dn, got, err, want)
		}
	}
}

func TestMappingRulesCommaInsideAName(t *testing.T) {
	r, err := ParseRules(`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Map(`CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz`); err != nil || got != `Tkac\, Adam` {
		t.Fatalf(`got %q, %v; want "Tkac\, Adam"`, got, err)
	}
}

func TestMappingRulesNoMatchIsRefused(t *testing.T) {
	r, err := ParseRules("RULE:^CN=([^,]+),OU=clients$/$1/")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Map("CN=mallory,OU=other"); !errors.Is(err, ErrNoMatchingRule) {
		t.Fatalf("Map of an unmatched DN = %q, %v; want ErrNoMatchingRule", got, err)
	}
	if got, err := r.Map("CN=alice,OU=clients"); err != nil || got != "alice" {
		t.Fatalf("got %q, %v; want alice", got, err)
	}
}

func TestMappingRulesReplacementForms(t *testing.T) {
	for _, c := range []struct{ rules, dn, want string }{
		{"RULE:^CN=(?P<user>[^,]+),O=(.*)$/${user}-$2/", "CN=a,O=b", "a-b"},
		{`RULE:^CN=([^,]+)$/\$1 is $1/`, "CN=x", "$1 is x"},
		{"RULE:^CN=([^,]+)$/$2$1/", "CN=x", "$2x"},          // no group 2: literal, as Kafka
		{"RULE:^CN=([^,]+)$/$12/", "CN=x", "x2"},            // one group: $12 is $1 then 2
		{`RULE:^CN=(.*)$/a\/b$1/U`, "CN=x", "A/BX"},         // \/ is a slash
		{"RULE:^(.*)$/<$1>/", "CN=x", "<CN=x>"},             // the whole DN replaced once
		{"", "CN=x,O=y", "CN=x,O=y"},                        // no rules: DEFAULT
		{", ,", "CN=x,O=y", "CN=x,O=y"},                     // only empty rules: DEFAULT
		{"RULE:^CN=([^,]+),.*$/$1/L,DEFAULT", "O=y", "O=y"}, // falls through to DEFAULT
	} {
		r, err := ParseRules(c.rules)
		if err != nil {
			t.Errorf("ParseRules(%q): %v", c.rules, err)
			continue
		}
		if got, err := r.Map(c.dn); err != nil || got != c.want {
			t.Errorf("rules %q, Map(%q) = %q, %v; want %q", c.rules, c.dn, got, err, c.want)
		}
	}
}

// describe prints parsed rules as Kafka's SslPrincipalMapper.toString does,
// so that its splitting cases can be checked as it checks them.
func describe(r Rules) string {
	var parts []string
	for _, ru := range r.rules {
		if ru.isDefault {
			parts = append(parts, "DEFAULT")
			continue
		}
		s := "RULE:" + ru.pattern.String() + "/" + ru.replacement
		if ru.lower {
			s += "/L"
		} else if ru.upper {
			s += "/U"
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func TestMappingRulesSplitAsKafkaSplitsThem(t *testing.T) {
	for _, c := range []struct{ want, rules string }{
		{"[]", ""},
		{"[DEFAULT]", "DEFAULT"},
		{"[RULE:/]", "RULE://"},
		{"[RULE:/.*]", "RULE:/.*/"},
		{"[RULE:/.*/L]", "RULE:/.*/L"},
		{"[RULE:/, DEFAULT]", "RULE://,DEFAULT"},
		{"[RULE:/, DEFAULT]", "  RULE:// ,  DEFAULT  "},
		{"[RULE:   /     , DEFAULT]", "  RULE:   /     / ,  DEFAULT  "},
		{"[RULE:  /     /U, DEFAULT]", "  RULE:  /     /U   ,DEFAULT  "},
		{"[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]", "  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  "},
		{"[]", ",   , , ,      , , ,   "},
		{"[RULE:/, DEFAULT]", ",,RULE://,,,DEFAULT,,"},
		{"[RULE: /   , DEFAULT]", ",  , RULE: /   /    ,,,   DEFAULT, ,   "},
		{"[RULE:   /  /U, DEFAULT]", "     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,"},
		{`[RULE:\/\\\(\)\n\t/\/\/]`, `RULE:\/\\\(\)\n\t/\/\//`},
		{`[RULE:\**\/+/*/L, RULE:\/*\**/**]`, `RULE:\**\/+/*/L,RULE:\/*\**/**/`},
		{
			`[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]`,
			`RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT`,
		},
	} {
		r, err := ParseRules(c.rules)
		if err != nil {
			t.Errorf("ParseRules(%q): %v", c.rules, err)
			continue
		}
		if got := describe(r); got != c.want {
			t.Errorf("ParseRules(%q) = %s, want %s", c.rules, got, c.want)
		}
	}
}
