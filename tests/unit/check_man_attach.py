#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""check_man_attach.py HELP MAN: the man page's attach options agree with the
settings table (IG_SETTINGS, user/lib/config.h) as `isagate attach --help`
prints it: every option with the same argument name, and the same default.
Prints one "ok - " / "not ok - " line per check."""
import re
import sys

help_txt = open(sys.argv[1]).read()
man = open(sys.argv[2]).read().replace('\\-', '-')
sec = man[man.index('.SS "attach"'):man.index('.SS "detach"') + 4]

entries = []
for line in help_txt.split('\n'):
    m = re.match(r'  (--[a-z0-9-]+(?: \| --[a-z0-9-]+)?)(?: ([A-Z][A-Z0-9./|]*|[a-z]+\|[a-z]+))?(?:  |$)(.*)', line)
    if m:
        entries.append([m.group(1), m.group(2), m.group(3)])
    elif entries and line.startswith(' ' * 26):
        entries[-1][2] += ' ' + line.strip()
    elif not line.startswith('  '):
        if entries and entries[-1][0] != '':
            entries.append(['', None, ''])   # end of the option list
entries = [e for e in entries if e[0]]

bad = 0
def check(what, cond):
    global bad
    print(('ok - ' if cond else 'not ok - ') + what)
    bad += not cond

for opt, arg, text in entries:
    first = opt.split(' ')[0]
    # the man entry: from its .B/.BI/.BR line to the next .TP or .PP
    m = re.search(r'\n\.B[IR]? ' + re.escape(first) + r'(?:[ \n"].*?)?(?=\n\.TP|\n\.PP|\n\.SS)', sec, re.S)
    check('isagate.8 attach: ' + first, m is not None)
    if not m:
        continue
    ent = m.group(0)
    if arg and '|' not in arg:
        check('isagate.8 attach: %s takes %s' % (first, arg), '" %s"' % arg in ent.split('\n')[1])
    d = re.search(r'default ([a-z0-9]+)\)', text)
    if d:
        check('isagate.8 attach: %s defaults to %s' % (first, d.group(1)),
              re.search(r'default %s\b' % re.escape(d.group(1)), ent) is not None)
sys.exit(1 if bad else 0)
