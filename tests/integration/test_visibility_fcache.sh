#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# test_visibility_fcache.sh - test_visibility.sh with the per-CPU flow cache
# (attach --flow-cache 64): the datapath accounts in its CPU's cache, the
# readers (flows -j, stats --prometheus, flows --follow --ipfix, killed and
# restarted) fold it into the flow table, and every number must still equal
# what was sent, to the packet.
IG_TEST_ATTACH_ARGS="--flow-cache 64" exec bash "$(dirname "${BASH_SOURCE[0]}")/test_visibility.sh"
