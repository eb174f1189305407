#!/usr/bin/python3
"""tests/lint-bats.py FILE.bats... - find Bats assertions that cannot fail.

Bats runs a test under errexit, which bash ignores for every command of an
&& or || list but the last: `[ "$n" -eq 3 ] && [ "$m" -eq 4 ]` in the
middle of a test passes when false.  This prints FILE:LINE: why for

  - an && list whose last command is an assertion ([ ], [[ ]], test, cmp,
    diff, grep, assert_*, refute_*, false, !) and that is not the last
    command of the test, unless an || after it turns the failure into one
    that counts (`... || { echo why; false; }`, `|| return 1`);
  - `|| true` after an && list (`cmp a b && false || true`), which can
    never fail wherever it stands.

Conditions (if, elif, while, until), lines inside helper functions,
heredocs and $(...) are not looked at.
Exit 1 if anything was found.
"""
import re
import sys

ASSERT = re.compile(r'^(!\s*)?(\[\[?|test\b|cmp\b|diff\b|grep\b|assert\w*|refute\w*|false\b)')


def strip(line):
    """line without quoted strings, $(...) and comments."""
    out, i, depth, quote = [], 0, 0, None
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == '\\' and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in '"\'':
            quote = ch
        elif line.startswith('$(', i):
            depth += 1
            i += 2
            continue
        elif ch == ')' and depth:
            depth -= 1
        elif ch == '#' and depth == 0 and (i == 0 or line[i - 1] in ' \t;'):
            break
        elif depth == 0:
            out.append(ch)
        i += 1
    return ''.join(out)


def check(path):
    bad = []
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    i = 0
    while i < len(lines):
        if not re.match(r'^@test\s', lines[i]):
            i += 1
            continue
        # the body: up to the closing "}" alone at the start of a line
        body = []
        i += 1
        heredoc = None
        while i < len(lines) and lines[i] != '}':
            raw = lines[i]
            if heredoc:
                if raw.strip() == heredoc:
                    heredoc = None
            else:
                m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", raw)
                if m:
                    heredoc = m.group(1)
                # join continuation lines
                start = i
                while raw.endswith('\\') and i + 1 < len(lines):
                    i += 1
                    raw = raw[:-1] + ' ' + lines[i]
                text = strip(raw).strip()
                if text:
                    body.append((start + 1, text))
            i += 1
        for k, (lineno, text) in enumerate(body):
            last = k == len(body) - 1 and not re.search(r'\bdo\b', text)
            for cmd in re.split(r';|\bthen\b|\bdo\b|\belse\b', text):
                cmd = cmd.strip()
                if '&&' not in cmd or re.match(r'(if|elif|while|until)\b', cmd):
                    continue
                if re.search(r'\|\|\s*(true|:)\s*$', cmd):
                    bad.append((lineno, '"|| true" after an && list: it cannot fail'))
                    continue
                tail = cmd.rsplit('&&', 1)[1]
                if '||' in tail:
                    continue
                if ASSERT.match(tail.strip()) and not last:
                    bad.append((lineno, 'assertion in an && list mid-test is ignored when false '
                                '(make each its own command, or use run + assert_*)'))
    for lineno, why in bad:
        print('%s:%d: %s' % (path, lineno, why))
    return bool(bad)


def main():
    found = False
    for p in sys.argv[1:]:
        found |= check(p)
    sys.exit(1 if found else 0)


if __name__ == '__main__':
    main()
