package workloads

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"slices"
	"strconv"
)

// Expr is a signal's expected value as a function of a VM's level and
// resources, written as arithmetic over the names in ExprVars, numbers,
// + - * / and parentheses, min(a, b), max(a, b) and param("name") (a
// numeric param's value). It is parsed once, when the workload is loaded,
// so a bad expression is a load error and Eval cannot fail.
type Expr struct {
	text string
	root ast.Expr
}

// ExprVars names what an expression may use besides params; each is
// documented in the annotated workload.yaml of the README.
var ExprVars = []string{"level", "peers_level", "vcpus", "memory_bytes", "disk_bytes"}

// SizeVars are the names of ExprVars that an instance type decides when it
// sizes the VMs: only the cluster knows them.
var SizeVars = []string{"vcpus", "memory_bytes"}

// Env is what an expression is evaluated against, for one VM over one
// stretch of time.
type Env struct {
	// Level is the VM's own level (0 for a role that does not follow it).
	Level float64
	// PeersLevel adds up the levels of the other VMs of the same instance
	// that follow it (network's clients, seen from their server).
	PeersLevel float64
	VCPUs      float64
	// MemoryBytes is the guest's memory; DiskBytes its data disk's size
	// (0 without one).
	MemoryBytes, DiskBytes float64
	// Params holds the numeric params' values.
	Params map[string]float64
}

// String is the expression as written.
func (e Expr) String() string { return e.text }

// IsZero reports whether no expression was given.
func (e Expr) IsZero() bool { return e.root == nil }

// parseExpr parses and checks an expression: only the known names, the
// given numeric params and the three functions.
func parseExpr(text string, numeric func(string) bool) (Expr, error) {
	root, err := parser.ParseExpr(text)
	if err != nil {
		return Expr{}, fmt.Errorf("%q is not an expression: %v", text, err)
	}
	var bad error
	ast.Inspect(root, func(n ast.Node) bool {
		if bad != nil || n == nil {
			return false
		}
		if err := checkNode(n, numeric); err != nil {
			bad = fmt.Errorf("%q: %w", text, err)
			return false
		}
		_, call := n.(*ast.CallExpr)
		return !call || callName(n.(*ast.CallExpr)) != "param"
	})
	if bad != nil {
		return Expr{}, bad
	}
	return Expr{text: text, root: root}, nil
}

// checkNode accepts one node of an expression.
func checkNode(n ast.Node, numeric func(string) bool) error {
	switch x := n.(type) {
	case *ast.BasicLit:
		if x.Kind != token.INT && x.Kind != token.FLOAT {
			return fmt.Errorf("%s: only numbers are literals here", x.Value)
		}
	case *ast.Ident:
		for _, v := range ExprVars {
			if x.Name == v {
				return nil
			}
		}
		if x.Name == "min" || x.Name == "max" || x.Name == "param" {
			return nil
		}
		return fmt.Errorf("unknown name %s (known: %v, min, max, param)", x.Name, ExprVars)
	case *ast.ParenExpr:
	case *ast.UnaryExpr:
		if x.Op != token.SUB {
			return fmt.Errorf("operator %s is not allowed (only + - * /)", x.Op)
		}
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO:
		default:
			return fmt.Errorf("operator %s is not allowed (only + - * /)", x.Op)
		}
	case *ast.CallExpr:
		return checkCall(x, numeric)
	default:
		return fmt.Errorf("only arithmetic, min, max and param(\"name\") are allowed")
	}
	return nil
}

func callName(c *ast.CallExpr) string {
	if id, ok := c.Fun.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func checkCall(c *ast.CallExpr, numeric func(string) bool) error {
	switch callName(c) {
	case "min", "max":
		if len(c.Args) != 2 || c.Ellipsis.IsValid() {
			return fmt.Errorf("%s takes two arguments", callName(c))
		}
	case "param":
		var lit *ast.BasicLit
		if len(c.Args) == 1 {
			lit, _ = c.Args[0].(*ast.BasicLit)
		}
		if lit == nil || lit.Kind != token.STRING {
			return fmt.Errorf("param takes one quoted param name, as param(\"size\")")
		}
		name, _ := strconv.Unquote(lit.Value)
		if !numeric(name) {
			return fmt.Errorf("param(%q): not a declared int or size param", name)
		}
	default:
		return fmt.Errorf("only min, max and param can be called")
	}
	return nil
}

// Eval computes the expression. Division by zero gives 0, so that a VM
// without a data disk or a level of 0 never yields infinities.
func (e Expr) Eval(env Env) float64 {
	if e.root == nil {
		return 0
	}
	return eval(e.root, env)
}

func eval(n ast.Expr, env Env) float64 {
	switch x := n.(type) {
	case *ast.BasicLit:
		f, _ := strconv.ParseFloat(x.Value, 64)
		return f
	case *ast.Ident:
		return map[string]float64{"level": env.Level, "peers_level": env.PeersLevel, "vcpus": env.VCPUs,
			"memory_bytes": env.MemoryBytes, "disk_bytes": env.DiskBytes}[x.Name]
	case *ast.ParenExpr:
		return eval(x.X, env)
	case *ast.UnaryExpr:
		return -eval(x.X, env)
	case *ast.BinaryExpr:
		a, b := eval(x.X, env), eval(x.Y, env)
		switch x.Op {
		case token.ADD:
			return a + b
		case token.SUB:
			return a - b
		case token.MUL:
			return a * b
		default:
			if b == 0 {
				return 0
			}
			return a / b
		}
	case *ast.CallExpr:
		if callName(x) == "param" {
			name, _ := strconv.Unquote(x.Args[0].(*ast.BasicLit).Value)
			return env.Params[name]
		}
		a, b := eval(x.Args[0], env), eval(x.Args[1], env)
		if callName(x) == "min" {
			return math.Min(a, b)
		}
		return math.Max(a, b)
	}
	return 0
}

// UsesLevel reports whether the expression reads level or peers_level.
func (e Expr) UsesLevel() bool { return e.Uses("level", "peers_level") }

// Uses reports whether the expression reads any of names (of ExprVars).
func (e Expr) Uses(names ...string) bool {
	uses := false
	ast.Inspect(e.root, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && slices.Contains(names, id.Name) {
			uses = true
		}
		return !uses
	})
	return uses
}
