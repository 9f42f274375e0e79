package security

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
)

// CertPrincipal is the principal of a TLS connection whose client presented
// a certificate the broker verified: User:<name>, the name being what rules
// make of the certificate's subject DN (SubjectDN). ok is false when the
// client presented no verified certificate or no rule matched its subject;
// the caller then authenticates the call some other way or refuses it.
func CertPrincipal(rules Rules, state tls.ConnectionState) (Principal, bool) {
	if len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return Principal{}, false
	}
	name, err := rules.Map(SubjectDN(state.VerifiedChains[0][0]))
	if err != nil || name == "" {
		return Principal{}, false
	}
	return User(name), true
}

// SubjectDN is the certificate's subject in RFC 2253 form, as Java's
// X500Principal.getName() gives it and Kafka's mapping rules see it: the
// most specific name first ("CN=alice,OU=eng,O=Acme,C=US"), the attributes
// RFC 2253 names by keyword (CN, L, ST, O, OU, C, STREET, DC, UID), any
// other as its OID and the hex of its DER value ("1.2.840.113549.1.9.1=#16...").
func SubjectDN(cert *x509.Certificate) string {
	var rdns []rdnSET
	if rest, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil || len(rest) > 0 {
		return cert.Subject.String()
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			writeATV(&b, atv)
		}
	}
	return b.String()
}

// rdnSET is one relative distinguished name (encoding/asn1 reads a type
// whose name ends in SET as a SET OF).
type rdnSET []rawATV

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

var dnKeywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

func writeATV(b *strings.Builder, atv rawATV) {
	kw, known := dnKeywords[atv.Type.String()]
	s, isString := asn1String(atv.Value)
	if !known || !isString {
		b.WriteString(atv.Type.String())
		b.WriteString("=#")
		b.WriteString(hex.EncodeToString(atv.Value.FullBytes))
		return
	}
	b.WriteString(kw)
	b.WriteByte('=')
	writeEscaped(b, s)
}

// asn1String decodes the string types a DN holds.
func asn1String(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagT61String, asn1.TagNumericString:
		return string(v.Bytes), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// writeEscaped escapes a value as RFC 2253 section 2.4 says.
func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(`,+"\<>;`, c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(s)-1 && c == ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

// Brokers name themselves in their certificates with a URI SAN
// sluice://broker/<id>; a broker accepts raft messages and cluster calls
// only from a certificate that carries one and that chains to the cluster
// CA.

// BrokerURI is the URI SAN that names broker id in its certificate.
func BrokerURI(id uint64) *url.URL {
	return &url.URL{Scheme: "sluice", Host: "broker", Path: "/" + strconv.FormatUint(id, 10)}
}

// BrokerID is the broker a certificate names (BrokerURI); ok is false when
// it names none, or more than one.
func BrokerID(cert *x509.Certificate) (uint64, bool) {
	var id uint64
	found := false
	for _, u := range cert.URIs {
		if u.Scheme != "sluice" || u.Host != "broker" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(u.Path, "/"), 10, 64)
		if err != nil || n == 0 || !strings.HasPrefix(u.Path, "/") || (found && n != id) {
			return 0, false
		}
		id, found = n, true
	}
	return id, found
}
