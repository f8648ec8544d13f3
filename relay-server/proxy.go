package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hookrelay/hookrelay/internal/option"
)

// proxyFrom is --proxy-protocol-from as prefixes: a bare address is its own /32 or
// /128. The option's check has refused anything else.
func (c *config) proxyFrom() []netip.Prefix {
	out, _ := parseProxyFrom(c.ProxyFrom)
	return out
}

// checkProxyFrom is --proxy-protocol-from's check.
func (c *config) checkProxyFrom(option.Value) error {
	_, err := parseProxyFrom(c.ProxyFrom)
	return err
}

// parseProxyFrom parses addresses and CIDR prefixes; items may also hold several,
// comma-separated, as the environment and config file give them.
func parseProxyFrom(items []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range items {
		for _, s := range strings.Split(item, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := parsePrefix(s)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is no address or CIDR prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is no address or CIDR prefix", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
