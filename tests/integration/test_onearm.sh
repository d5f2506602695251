#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# test_onearm.sh - test_forwarding.sh on a one-armed router: R's IPv4 and
# IPv6 sides are the same interface (D hangs off the LAN bridge).
exec "$(dirname "${BASH_SOURCE[0]}")/test_forwarding.sh" one
