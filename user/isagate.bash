# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Bash completion for isagate(8): commands, their subcommands and options,
# file and interface arguments.  The commands and options come from the
# installed binary's own --help, read at completion time, so this file never
# lists an option the binary lacks or misses one it has.
# Installed as $(PREFIX)/share/bash-completion/completions/isagate.

_isagate_opts() { # the long options of "isagate WORDS --help"
	"$1" "${@:2}" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

_isagate() {
	local bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i cmd= sub= words=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}
		   elif [[ -z $sub && ($cmd == members || $cmd == policy) ]]; then sub=${COMP_WORDS[i]}; fi ;;
		esac
	done

	# arguments of options
	case $prev in
	--ipv4-dev | --ipv6-dev)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	--config | --state | --extra | --password-file | --keytab | --ca-file | --prometheus | -P | -s)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--pin-dir | -p)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--mode) COMPREPLY=($(compgen -W "native generic" -- "$cur")); return ;;
	--bind) COMPREPLY=($(compgen -W "simple gssapi" -- "$cur")); return ;;
	--starttls) COMPREPLY=($(compgen -W "yes no" -- "$cur")); return ;;
	--nesting) COMPREPLY=($(compgen -W "auto in-chain client" -- "$cur")); return ;;
	--route-preference) COMPREPLY=($(compgen -W "high medium low" -- "$cur")); return ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-v --verbose -h --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$bin" --help 2>&1 |
				sed -n 's/^  isagate \([a-z]*\).*/\1/p' | sort -u)" -- "$cur"))
		fi
		return
	fi
	case $cmd in
	members) [[ -z $sub ]] && { COMPREPLY=($(compgen -W "sync list" -- "$cur")); return; } ;;
	policy) [[ -z $sub ]] && { COMPREPLY=($(compgen -W "sync list clear conns" -- "$cur")); return; } ;;
	esac
	words=("$cmd")
	[[ -n $sub ]] && words+=("$sub")
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_isagate_opts "$bin" "${words[@]}")" -- "$cur"))
	elif [[ $sub == sync ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))     # the membership or policy file
	fi
}
complete -F _isagate isagate
