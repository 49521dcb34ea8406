// helm-standin: a stand-in for `helm template`, for machines where helm cannot be installed.
//
// It renders a chart the way Helm 3's engine does (pkg/engine): Go's text/template with sprig's
// functions (less env/expandenv, as Helm), Helm's toYaml, fromYaml, include and required, values
// read with sigs.k8s.io/yaml (numbers become float64, as in Helm) and coalesced over the chart's
// values.yaml (a null removes a default), missingkey=zero and "<no value>" blanked. It supports
// what the Codeyard chart uses and nothing more: Helm's tpl, lookup, toJson, .Files,
// .Capabilities, subcharts, hooks and --set are absent, so a template that starts using one fails
// here at once ("function not defined") instead of rendering differently from helm. No schema
// check either: the test validates the coalesced values (--show-values) with ajv.
//
// Usage: helm-standin [--namespace NS] [--show-values] [--notes] [-f values.yaml]... RELEASE CHART_DIR
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o helm-standin main.go
// (Debian: golang-go, golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type values = map[string]interface{}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error: "+err.Error())
		os.Exit(1)
	}
}

func run(args []string) error {
	namespace, showValues, notes := "default", false, false
	var files, positional []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-f", "--values", "-n", "--namespace":
			if i+1 >= len(args) {
				return fmt.Errorf("%s needs a value", a)
			}
			i++
			if a == "-f" || a == "--values" {
				files = append(files, args[i])
			} else {
				namespace = args[i]
			}
		case "--show-values":
			showValues = true
		case "--notes":
			notes = true
		default:
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("unknown flag %s (the stand-in supports -f, -n, --show-values, --notes)", a)
			}
			positional = append(positional, a)
		}
	}
	if len(positional) != 2 {
		return errors.New("usage: helm-standin [-n NS] [--show-values] [--notes] [-f values.yaml]... RELEASE CHART_DIR")
	}
	release, chartDir := positional[0], positional[1]

	chart, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	vals, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		user, err := readYAML(f)
		if err != nil {
			return err
		}
		vals = coalesce(user, vals)
	}
	if showValues {
		out, err := json.Marshal(vals)
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		return nil
	}

	name, _ := chart["name"].(string)
	top := values{
		"Values":  vals,
		"Release": values{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		// Helm exposes Chart.yaml's fields under their Go names.
		"Chart": values{"Name": name, "Version": chart["version"], "AppVersion": chart["appVersion"], "Description": chart["description"]},
	}
	return render(chartDir, name, top, notes)
}

func readYAML(path string) (values, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := values{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// coalesce gives user values precedence over defaults, merging maps key by key; a user null
// deletes the default (Helm's chartutil.CoalesceTables).
func coalesce(user, defaults values) values {
	out := values{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range user {
		if v == nil {
			delete(out, k)
			continue
		}
		um, uok := v.(values)
		dm, dok := out[k].(values)
		if uok && dok {
			out[k] = coalesce(um, dm)
		} else {
			out[k] = v
		}
	}
	return out
}

func render(chartDir, chartName string, top values, notes bool) error {
	paths, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	t := template.New("gotpl").Option("missingkey=zero")
	t.Funcs(funcMap(t))
	var names []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n := chartName + "/templates/" + filepath.Base(p)
		if _, err := t.New(n).Parse(string(data)); err != nil {
			return cleanError(err)
		}
		base := filepath.Base(p)
		isNotes := base == "NOTES.txt"
		if !strings.HasPrefix(base, "_") && (!isNotes || notes) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		var buf bytes.Buffer
		scope := values{}
		for k, v := range top {
			scope[k] = v
		}
		scope["Template"] = values{"Name": n, "BasePath": chartName + "/templates"}
		if err := t.ExecuteTemplate(&buf, n, scope); err != nil {
			return cleanError(err)
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", n, out)
	}
	return nil
}

// Helm wraps required's message so it can report it as "execution error at (file:line:col): msg".
var execErr = regexp.MustCompile(`^template: ([^:]+:\d+:\d+): executing "[^"]*" at <[^>]*>: error calling \w+: (.*)$`)

func cleanError(err error) error {
	if m := execErr.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("execution error at (%s): %s", m[1], m[2])
	}
	return err
}

func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these: a chart must not read the renderer's environment.
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return "" // Helm swallows the error the same way
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) values {
		m := values{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	return f
}
