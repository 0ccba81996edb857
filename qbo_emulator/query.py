"""The QBO query language: parse a statement, then filter / sort / page a list of objects.

SELECT * | count(*) | p[, p...] FROM Entity [WHERE p op v [AND ...]]
  [ORDERBY | ORDER BY p [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS m]
ops: = < > <= >= IN LIKE ('%' only); no OR, no JOIN, no GROUP BY.
"""

import re
from dataclasses import dataclass, field

from .faults import QboFault
from .store import parse_time

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|=|<|>)
  | (?P<punct>[(),*])
""",
    re.VERBOSE,
)

COMPARISONS = ("=", "<", ">", "<=", ">=")
DEFAULT_MAX_RESULTS = 100
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parser_error(detail):
    return QboFault("4000", "Error parsing query", "QueryParserError: %s" % detail)


def validation_error(detail):
    return QboFault("4001", "Invalid query", "QueryValidationError: %s" % detail)


@dataclass
class Condition:
    prop: str
    op: str  # one of COMPARISONS, "IN", "LIKE"
    value: object  # str | float | bool | list


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list = field(default_factory=list)  # empty: every field
    where: list = field(default_factory=list)
    order: list = field(default_factory=list)  # [(prop, descending)]
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS

    def id_candidates(self):
        """The only Ids that can match (from `Id =` / `Id IN`), or None: lets the caller skip a scan."""
        candidates = None
        for c in self.where:
            if c.prop.lower() == "id" and c.op in ("=", "IN"):
                values = c.value if c.op == "IN" else [c.value]
                found = {str(int(v)) if isinstance(v, float) and v == int(v) else str(v) for v in values}
                candidates = found if candidates is None else candidates & found
        return candidates

    def mentions(self, prop):
        return any(c.prop.lower() == prop.lower() for c in self.where)


def tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match:
            raise parser_error("Encountered \"%s\" at column %d" % (text[pos : pos + 10], pos + 1))
        pos = match.end()
        kind = match.lastgroup
        if kind == "ws":
            continue
        raw = match.group()
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "number":
            value = float(raw)
        else:
            value = raw
        tokens.append((kind, value, raw))
    return tokens


class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None, None)

    def keyword(self, word):
        kind, value, _ = self.peek()
        if kind == "name" and value.upper() == word:
            self.pos += 1
            return True
        return False

    def expect_keyword(self, word):
        if not self.keyword(word):
            raise parser_error("Encountered \"%s\", was expecting %s" % (self.peek()[2] or "<EOF>", word))

    def punct(self, char):
        kind, value, _ = self.peek()
        if kind == "punct" and value == char:
            self.pos += 1
            return True
        return False

    def expect_punct(self, char):
        if not self.punct(char):
            raise parser_error("Encountered \"%s\", was expecting \"%s\"" % (self.peek()[2] or "<EOF>", char))

    def name(self, what):
        kind, value, raw = self.peek()
        if kind != "name":
            raise parser_error("Encountered \"%s\", was expecting %s" % (raw or "<EOF>", what))
        self.pos += 1
        return value

    def integer(self, what):
        kind, value, raw = self.peek()
        if kind != "number" or value != int(value):
            raise parser_error("Encountered \"%s\", was expecting an integer after %s" % (raw or "<EOF>", what))
        self.pos += 1
        return int(value)

    def literal(self):
        kind, value, raw = self.peek()
        self.pos += 1
        if kind in ("string", "number"):
            return value
        if kind == "name" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise parser_error("Encountered \"%s\", was expecting a value" % (raw or "<EOF>"))

    def parse(self):
        self.expect_keyword("SELECT")
        query = Query(entity="")
        if self.keyword("COUNT"):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            query.count = True
        else:
            everything = False
            while True:
                if self.punct("*"):
                    everything = True
                else:
                    query.fields.append(self.name("a property"))
                if not self.punct(","):
                    break
            if everything:
                query.fields = []
        self.expect_keyword("FROM")
        query.entity = self.name("an entity name")
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
        ordered = self.keyword("ORDERBY")
        if not ordered and self.keyword("ORDER"):
            self.expect_keyword("BY")
            ordered = True
        if ordered:
            while True:
                prop = self.name("a property")
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                query.order.append((prop, descending))
                if not self.punct(","):
                    break
        if self.keyword("STARTPOSITION"):
            query.start = self.integer("STARTPOSITION")
        if self.keyword("MAXRESULTS"):
            query.max_results = self.integer("MAXRESULTS")
        kind, _, raw = self.peek()
        if kind is not None:
            raise parser_error("Encountered \"%s\", was expecting <EOF>" % raw)
        return query

    def condition(self):
        prop = self.name("a property")
        kind, value, raw = self.peek()
        if kind == "op":
            self.pos += 1
            return Condition(prop, value, self.literal())
        if self.keyword("IN"):
            self.expect_punct("(")
            values = [self.literal()]
            while self.punct(","):
                values.append(self.literal())
            self.expect_punct(")")
            return Condition(prop, "IN", values)
        if self.keyword("LIKE"):
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise parser_error("LIKE needs a string")
            return Condition(prop, "LIKE", pattern)
        raise parser_error("Encountered \"%s\", was expecting an operator" % (raw or "<EOF>"))


def parse(text, max_page=1000):
    if not text or not text.strip():
        raise parser_error("empty query")
    query = _Parser(text.strip().rstrip(";")).parse()
    if query.start < 1:
        raise validation_error("STARTPOSITION must be at least 1")
    if query.max_results < 0:
        raise validation_error("MAXRESULTS must not be negative")
    if query.max_results > max_page:
        raise validation_error("MAXRESULTS (%d) exceeds the maximum of %d" % (query.max_results, max_page))
    return query


def lookup(obj, prop):
    """A dotted property; a reference ({"value", "name"}) compares by its value, and an
    email address ({"Address"}) by its address."""
    value = obj
    for part in prop.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    return _email_address(value)


def _email_address(value):
    """Intuit documents `WHERE PrimaryEmailAddr = 'x@y'`: an EmailAddress object (Customer,
    Vendor and Employee's PrimaryEmailAddr, a sales form's BillEmail) is filtered by its
    Address, as `PrimaryEmailAddr.Address` is."""
    if isinstance(value, dict) and "Address" in value:
        return value["Address"]
    return value


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _truth(value):
    """true/false whether stored or written as a bool or as the strings 'true' / 'false'."""
    return value if isinstance(value, bool) else {"true": True, "false": False}.get(str(value).lower(), value)


def _comparable(actual, literal):
    """Bring both sides to one type: bool, number, time or string."""
    if isinstance(literal, bool) or isinstance(actual, bool):
        return _truth(actual), _truth(literal)
    left, right = _number(actual), _number(literal)
    if left is not None and right is not None:
        return left, right
    if isinstance(actual, str) and isinstance(literal, str) and DATE_LIKE.match(actual) and DATE_LIKE.match(literal):
        try:
            return parse_time(actual), parse_time(literal)
        except ValueError:
            pass
    # QuickBooks compares strings without regard to case: Name = 'checking' finds "Checking".
    return str(actual).casefold(), str(literal).casefold()


def _like(actual, pattern):
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None


def matches(obj, condition):
    actual = lookup(obj, condition.prop)
    if actual is None:
        if condition.prop.lower() == "active":
            actual = True
        else:
            return False
    if condition.op == "IN":
        return any(a == b for a, b in (_comparable(actual, v) for v in condition.value))
    if condition.op == "LIKE":
        return _like(actual, condition.value)
    left, right = _comparable(actual, condition.value)
    try:
        return {"=": left == right, "<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[
            condition.op
        ]
    except TypeError:
        return False


def _sort_key(value):
    if value is None:
        return (2, 0, "")
    number = _number(value)
    if number is not None:
        return (0, number, "")
    return (1, 0, str(value).lower())


def execute(query, rows, name_list=False):
    """The QueryResponse dict for `rows` (every live object of query.entity)."""
    if name_list and not query.mentions("Active"):
        rows = [row for row in rows if row.get("Active", True) is not False]
    selected = [row for row in rows if all(matches(row, c) for c in query.where)]
    if query.count:
        return {"totalCount": len(selected)}
    for prop, descending in reversed(query.order):
        selected.sort(key=lambda row: _sort_key(lookup(row, prop)), reverse=descending)
    page = selected[query.start - 1 : query.start - 1 + query.max_results]
    if query.fields:
        wanted = {f.split(".")[0].lower() for f in query.fields} | {"id", "synctoken", "metadata"}
        page = [{k: v for k, v in row.items() if k.lower() in wanted} for row in page]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
