#!/usr/bin/python3
"""tests/man-examples.py - the EXAMPLES commands of a man page as `man`
renders it, ready for sh.

Reads the rendered page (MANWIDTH=80 man -l PAGE | col -bx) on stdin and
writes the commands of its EXAMPLES section to stdout, one per line or
continued as the page continues them: a command starts with "$ " and goes
on while its line ends in a backslash or a pipe "|", and then over the
lines right below it that are indented deeper than its "$" (the body and
"done" of a for loop, as a user pastes them and the shell reads them).
This is what a user copies from a terminal, so nothing of the page's
source is looked at.

Exit 1, naming the line, when a line of the section is wider than 80
columns (a terminal would wrap it where it did not break) or a command
is continued by a line that is not indented under it (man wrapped the
text: pasted, it would be two commands).
"""
import sys


def main():
    text = sys.stdin.read().split('\n')
    out, bad, in_ex, cmd, held, indent = [], [], False, None, False, 0
    for n, line in enumerate(text, 1):
        if line and not line[0].isspace():
            in_ex = line.strip() == 'EXAMPLES'
            continue
        if not in_ex:
            continue
        if len(line) > 80:
            bad.append('%d: %d columns, wider than 80: %s' % (n, len(line), line.strip()))
        s = line.strip()
        if cmd is None and out and held and s and len(line) - len(line.lstrip()) > indent:
            out[-1] += '\n' + line     # more of a multi-line command
            continue
        held = False
        if cmd is not None:
            if not s:
                bad.append('%d: a command ends in "\\" or "|" and nothing follows' % n)
                cmd = None
                continue
            cmd.append(line)
        elif s.startswith('$ '):
            cmd = [s[2:]]
            indent = len(line) - len(line.lstrip())
        else:
            continue
        if cmd[-1].rstrip().endswith(('\\', '|')):
            continue
        # continuation lines are indented under the "$"
        for c in cmd[1:]:
            if len(c) - len(c.lstrip()) <= indent:
                bad.append('%d: continuation line not indented under its "$": %s' % (n, c.strip()))
        out.append('\n'.join(cmd))
        cmd = None
        held = True
    for b in bad:
        print('line ' + b, file=sys.stderr)
    if not out:
        print('no "$ " command in EXAMPLES', file=sys.stderr)
    sys.stdout.write(''.join(c + '\n' for c in out))
    sys.exit(1 if bad or not out else 0)


if __name__ == '__main__':
    main()
