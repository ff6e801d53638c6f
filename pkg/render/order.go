package render

import "iter"

// A bundle's objects of one kind come out sorted by name. Its VMs and
// Services are never listed to sort them: the names of one role's VMs (or
// one workload's Services) are a group, prefix<i> or prefix<i>-<j>, whose
// sorted order can be walked in O(1) memory, and the groups are merged.
// So a bundle holds O(roles) plans however many VMs it makes.

// nameGroup is the names prefix<i> for i in [0, instances), or
// prefix<i>-<j> for j in [0, perInstance) when perInstance > 1.
type nameGroup struct {
	prefix                 string
	instances, perInstance int
}

// len is the number of names in the group.
func (g nameGroup) len() int { return g.instances * g.perInstance }

// last is the group's longest name (the last i and j have the most digits).
func (g nameGroup) last() string {
	return indexedName(g.prefix, g.instances-1, g.perInstance-1, g.perInstance)
}

// lexOrder steps through 0..n-1 in the order of their decimal strings:
// 0, 1, 10, 100, ..., 11, ..., 2, 20, ...
type lexOrder struct {
	n, cur, left int
}

func newLexOrder(n int) lexOrder { return lexOrder{n: n, cur: -1, left: n} }

func (l *lexOrder) next() (int, bool) {
	if l.left <= 0 {
		return 0, false
	}
	l.left--
	switch {
	case l.cur < 0:
		l.cur = 0
	case l.cur == 0:
		l.cur = 1
	case l.cur*10 < l.n:
		l.cur *= 10
	default:
		// Back up past the last digit that cannot grow, then step it.
		for l.cur%10 == 9 || l.cur+1 >= l.n {
			l.cur /= 10
		}
		l.cur++
	}
	return l.cur, true
}

// nameCursor walks one group in name order. Sorting by i's digits, then
// j's, is sorting by name: "-" sorts before every digit, so prefix1-... comes
// before prefix10-..., as "1" before "10".
type nameCursor struct {
	g      nameGroup
	is, js lexOrder
	i, j   int
	name   string
	ok     bool
}

func (c *nameCursor) advance() {
	if c.g.perInstance > 1 {
		if j, ok := c.js.next(); ok {
			c.j, c.name = j, indexedName(c.g.prefix, c.i, j, c.g.perInstance)
			return
		}
	}
	i, ok := c.is.next()
	if !ok {
		c.ok, c.name = false, ""
		return
	}
	c.i, c.j = i, 0
	if c.g.perInstance > 1 {
		c.js = newLexOrder(c.g.perInstance)
		c.j, _ = c.js.next()
	}
	c.name = indexedName(c.g.prefix, c.i, c.j, c.g.perInstance)
}

// indexedRef is one name of a group: which group, its name and indices.
type indexedRef struct {
	group int
	name  string
	i, j  int
}

// sortedNames yields every name of the groups, sorted, as sorting them all
// would, holding one cursor per group.
func sortedNames(groups []nameGroup) iter.Seq[indexedRef] {
	return func(yield func(indexedRef) bool) {
		cursors := make([]nameCursor, len(groups))
		for k, g := range groups {
			cursors[k] = nameCursor{g: g, is: newLexOrder(g.instances), ok: true}
			cursors[k].advance()
		}
		for {
			min := -1
			for k := range cursors {
				if cursors[k].ok && (min < 0 || cursors[k].name < cursors[min].name) {
					min = k
				}
			}
			if min < 0 {
				return
			}
			c := &cursors[min]
			if !yield(indexedRef{group: min, name: c.name, i: c.i, j: c.j}) {
				return
			}
			c.advance()
		}
	}
}
