#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_icmp4_relay_fcache.sh - test_icmp4_relay.sh with the per-CPU flow
# cache (attach --flow-cache 64): an ICMPv4 error must be relayed, and its MTU
# learned, for a flow that is still only in a CPU's cache (nothing folded
# it into the flow table yet).
IG_TEST_ATTACH_ARGS="--flow-cache 64" exec bash "$(dirname "${BASH_SOURCE[0]}")/test_icmp4_relay.sh"
