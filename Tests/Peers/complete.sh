#!/usr/bin/env bash
# Completes a command line with the generated bash completion, as bash does on TAB,
# and prints each candidate on a line of its own.
# usage: complete.sh COMPLETION_SCRIPT WORD... (the last word is the one being completed)
set -u
script=$1
shift
source "$script"
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
previous=""
if [ "$COMP_CWORD" -gt 0 ]; then previous=${COMP_WORDS[$((COMP_CWORD - 1))]}; fi
_sockscope "${COMP_WORDS[0]}" "${COMP_WORDS[$COMP_CWORD]}" "$previous"
printf '%s\n' "${COMPREPLY[@]}"
