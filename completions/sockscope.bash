#!/bin/bash

__sockscope_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__sockscope_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__sockscope_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__sockscope_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_sockscope() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __sockscope_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    connect|listen|forward|proxy|send|recv|broadcast|probe|merge|resolve|tap|sockets|demo|help)
        # Offer subcommand argument completions
        "_sockscope_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'connect listen forward proxy send recv broadcast probe merge resolve tap sockets demo help' -- "${cur}"))
        ;;
    esac
}

_sockscope_connect() {
    repeating_flags=()
    non_repeating_flags=(-u --udp -4 -6 --nodelay --keepalive --tap --tap-payload --pcapng --follow-timewait --frame-json --raw --hexdump --tls --ssl --insecure --no-half-close --send-only --recv-only --stop-at-peer-close --keep-sending -C --crlf --verbose -v --stderr --json --version -h --help)
    repeating_options=(--pin-sha256)
    non_repeating_options=(-U --unix -s --source -p --source-port -w --timeout --size --keepalive-time --linger --recv-buffer --send-buffer --ttl --tap-interface --pcap-out --diagram --plot --frame --max-frame -o --output --ca-file --sni --client-cert --client-key --alpn --tls-min --tls-max --ciphers --keylog --proxy --proxy-type --proxy-auth --proxy-dns -i --idle-timeout -e --exec -c --sh-exec --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '-U'|'--unix')
        __sockscope_add_completions -f
        return
        ;;
    '-s'|'--source')
        return
        ;;
    '-p'|'--source-port')
        return
        ;;
    '-w'|'--timeout')
        return
        ;;
    '--size')
        return
        ;;
    '--keepalive-time')
        return
        ;;
    '--linger')
        return
        ;;
    '--recv-buffer')
        return
        ;;
    '--send-buffer')
        return
        ;;
    '--ttl')
        return
        ;;
    '--tap-interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--frame')
        __sockscope_add_completions -W 'u32be'$'\n''u16be'$'\n''line'
        return
        ;;
    '--max-frame')
        return
        ;;
    '-o'|'--output')
        __sockscope_add_completions -f
        return
        ;;
    '--ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--pin-sha256')
        return
        ;;
    '--sni')
        return
        ;;
    '--client-cert')
        __sockscope_add_completions -f
        return
        ;;
    '--client-key')
        __sockscope_add_completions -f
        return
        ;;
    '--alpn')
        return
        ;;
    '--tls-min')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--tls-max')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--ciphers')
        return
        ;;
    '--keylog')
        __sockscope_add_completions -f
        return
        ;;
    '--proxy')
        return
        ;;
    '--proxy-type')
        __sockscope_add_completions -W 'socks4'$'\n''socks4a'$'\n''socks5'$'\n''http'
        return
        ;;
    '--proxy-auth')
        return
        ;;
    '--proxy-dns')
        __sockscope_add_completions -W 'local'$'\n''remote'
        return
        ;;
    '-i'|'--idle-timeout')
        return
        ;;
    '-e'|'--exec')
        return
        ;;
    '-c'|'--sh-exec')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    2)
        __sockscope_add_completions -W "$(eval 'awk '\''!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }'\'' /etc/services | sort -u')"
        return
        ;;
    esac
}

_sockscope_listen() {
    repeating_flags=()
    non_repeating_flags=(-u --udp -4 -6 --no-reuseaddr -k --keep-open --echo --upper --broker --chat --stderr --nodelay --keepalive --tap --tap-payload --pcapng --follow-timewait --frame-json --raw --hexdump --tls --ssl --require-client-cert --no-half-close --send-only --recv-only --stop-at-peer-close --keep-sending -C --crlf --verbose -v --json --version -h --help)
    repeating_options=(--allow --deny)
    non_repeating_options=(-U --unix --backlog -e --exec -c --sh-exec --accept-timeout --max-clients --allow-file --deny-file --keepalive-time --linger --recv-buffer --send-buffer --ttl --tap-interface --pcap-out --diagram --plot --frame --max-frame -o --output --cert --key --ca-file --alpn --tls-min --tls-max --ciphers --keylog -i --idle-timeout --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '-U'|'--unix')
        __sockscope_add_completions -f
        return
        ;;
    '--backlog')
        return
        ;;
    '-e'|'--exec')
        return
        ;;
    '-c'|'--sh-exec')
        return
        ;;
    '--accept-timeout')
        return
        ;;
    '--max-clients')
        return
        ;;
    '--allow')
        return
        ;;
    '--deny')
        return
        ;;
    '--allow-file')
        __sockscope_add_completions -f
        return
        ;;
    '--deny-file')
        __sockscope_add_completions -f
        return
        ;;
    '--keepalive-time')
        return
        ;;
    '--linger')
        return
        ;;
    '--recv-buffer')
        return
        ;;
    '--send-buffer')
        return
        ;;
    '--ttl')
        return
        ;;
    '--tap-interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--frame')
        __sockscope_add_completions -W 'u32be'$'\n''u16be'$'\n''line'
        return
        ;;
    '--max-frame')
        return
        ;;
    '-o'|'--output')
        __sockscope_add_completions -f
        return
        ;;
    '--cert')
        __sockscope_add_completions -f
        return
        ;;
    '--key')
        __sockscope_add_completions -f
        return
        ;;
    '--ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--alpn')
        return
        ;;
    '--tls-min')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--tls-max')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--ciphers')
        return
        ;;
    '--keylog')
        __sockscope_add_completions -f
        return
        ;;
    '-i'|'--idle-timeout')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    2)
        __sockscope_add_completions -W "$(eval 'awk '\''!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }'\'' /etc/services | sort -u')"
        return
        ;;
    esac
}

_sockscope_forward() {
    repeating_flags=()
    non_repeating_flags=(-u --udp -4 -6 --upstream --downstream --tap --tap-payload --pcapng --follow-timewait --tls --ssl --require-client-cert --target-tls --target-insecure -v --verbose --hexdump --json --version -h --help)
    repeating_options=(--allow --deny)
    non_repeating_options=(-U --unix --target-unix -i --idle-timeout -w --timeout --max-clients --allow-file --deny-file --backlog --delay --jitter --rate --slice --slice-gap --reset-after --close-after --stall-after --refuse --tap-interface --pcap-out --diagram --plot --proxy --proxy-type --proxy-auth --proxy-dns --cert --key --ca-file --alpn --tls-min --tls-max --ciphers --keylog --target-ca-file --target-sni --color)
    __sockscope_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-U'|'--unix')
        __sockscope_add_completions -f
        return
        ;;
    '--target-unix')
        __sockscope_add_completions -f
        return
        ;;
    '-i'|'--idle-timeout')
        return
        ;;
    '-w'|'--timeout')
        return
        ;;
    '--max-clients')
        return
        ;;
    '--allow')
        return
        ;;
    '--deny')
        return
        ;;
    '--allow-file')
        __sockscope_add_completions -f
        return
        ;;
    '--deny-file')
        __sockscope_add_completions -f
        return
        ;;
    '--backlog')
        return
        ;;
    '--delay')
        return
        ;;
    '--jitter')
        return
        ;;
    '--rate')
        return
        ;;
    '--slice')
        return
        ;;
    '--slice-gap')
        return
        ;;
    '--reset-after')
        return
        ;;
    '--close-after')
        return
        ;;
    '--stall-after')
        return
        ;;
    '--refuse')
        return
        ;;
    '--tap-interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--proxy')
        return
        ;;
    '--proxy-type')
        __sockscope_add_completions -W 'socks4'$'\n''socks4a'$'\n''socks5'$'\n''http'
        return
        ;;
    '--proxy-auth')
        return
        ;;
    '--proxy-dns')
        __sockscope_add_completions -W 'local'$'\n''remote'
        return
        ;;
    '--cert')
        __sockscope_add_completions -f
        return
        ;;
    '--key')
        __sockscope_add_completions -f
        return
        ;;
    '--ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--alpn')
        return
        ;;
    '--tls-min')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--tls-max')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--ciphers')
        return
        ;;
    '--keylog')
        __sockscope_add_completions -f
        return
        ;;
    '--target-ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--target-sni')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_proxy() {
    repeating_flags=()
    non_repeating_flags=(-4 -6 --tls --ssl --require-client-cert -v --verbose --json --version -h --help)
    repeating_options=(--allow --deny --allow-target)
    non_repeating_options=(-w --timeout --max-clients --allow-file --deny-file --cert --key --ca-file --alpn --tls-min --tls-max --ciphers --keylog --backlog --auth --color)
    __sockscope_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-w'|'--timeout')
        return
        ;;
    '--max-clients')
        return
        ;;
    '--allow')
        return
        ;;
    '--deny')
        return
        ;;
    '--allow-file')
        __sockscope_add_completions -f
        return
        ;;
    '--deny-file')
        __sockscope_add_completions -f
        return
        ;;
    '--cert')
        __sockscope_add_completions -f
        return
        ;;
    '--key')
        __sockscope_add_completions -f
        return
        ;;
    '--ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--alpn')
        return
        ;;
    '--tls-min')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--tls-max')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--ciphers')
        return
        ;;
    '--keylog')
        __sockscope_add_completions -f
        return
        ;;
    '--backlog')
        return
        ;;
    '--auth')
        return
        ;;
    '--allow-target')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_send() {
    repeating_flags=()
    non_repeating_flags=(--lines --connect -4 -6 --loop --hexdump --raw --json --verbose -v --version -h --help)
    repeating_options=()
    non_repeating_options=(--size --wait --replies --count -s --source --ttl --group --interface --color)
    __sockscope_offer_flags_options 3

    # Offer option value completions
    case "${prev}" in
    '--size')
        return
        ;;
    '--wait')
        return
        ;;
    '--replies'|'--count')
        return
        ;;
    '-s'|'--source')
        return
        ;;
    '--ttl')
        return
        ;;
    '--group')
        return
        ;;
    '--interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_recv() {
    repeating_flags=()
    non_repeating_flags=(-4 -6 --echo --upper --reuseport --hexdump --raw --json --verbose -v --version -h --help)
    repeating_options=()
    non_repeating_options=(--buffer --recv-buffer --reply --count -w --idle-timeout --group --interface --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--buffer')
        return
        ;;
    '--recv-buffer')
        return
        ;;
    '--reply')
        return
        ;;
    '--count')
        return
        ;;
    '-w'|'--idle-timeout')
        return
        ;;
    '--group')
        return
        ;;
    '--interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_broadcast() {
    repeating_flags=()
    non_repeating_flags=(--no-so-broadcast --hexdump --raw --json --verbose -v --version -h --help)
    repeating_options=()
    non_repeating_options=(--to --interface --wait --replies --count -s --source --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--to')
        return
        ;;
    '--interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--wait')
        return
        ;;
    '--replies'|'--count')
        return
        ;;
    '-s'|'--source')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_probe() {
    repeating_flags=()
    non_repeating_flags=(-u --udp -4 -6 --all-addresses --graceful -a --all --banner --json -q --quiet --tls --ssl --insecure --tap --tap-payload --pcapng --follow-timewait --version -h --help)
    repeating_options=(--pin-sha256)
    non_repeating_options=(-p -iL --exclude --exclude-file -oX -oG -oA --shard --resume --diff --seed --parallel --retries --rate --timeout --payload --payload-hex --banner-send -c --count -i --interval --ca-file --sni --client-cert --client-key --alpn --tls-min --tls-max --ciphers --keylog --tap-interface --pcap-out --diagram --plot --proxy --proxy-type --proxy-auth --proxy-dns --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '-p')
        return
        ;;
    '-iL')
        return
        ;;
    '--exclude')
        return
        ;;
    '--exclude-file')
        return
        ;;
    '-oX')
        return
        ;;
    '-oG')
        return
        ;;
    '-oA')
        return
        ;;
    '--shard')
        return
        ;;
    '--resume')
        return
        ;;
    '--diff')
        return
        ;;
    '--seed')
        return
        ;;
    '--parallel')
        return
        ;;
    '--retries')
        return
        ;;
    '--rate')
        return
        ;;
    '--timeout')
        return
        ;;
    '--payload')
        return
        ;;
    '--payload-hex')
        return
        ;;
    '--banner-send')
        return
        ;;
    '-c'|'--count')
        return
        ;;
    '-i'|'--interval')
        return
        ;;
    '--ca-file')
        __sockscope_add_completions -f
        return
        ;;
    '--pin-sha256')
        return
        ;;
    '--sni')
        return
        ;;
    '--client-cert')
        __sockscope_add_completions -f
        return
        ;;
    '--client-key')
        __sockscope_add_completions -f
        return
        ;;
    '--alpn')
        return
        ;;
    '--tls-min')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--tls-max')
        __sockscope_add_completions -W '1.0'$'\n''1.1'$'\n''1.2'$'\n''1.3'
        return
        ;;
    '--ciphers')
        return
        ;;
    '--keylog')
        __sockscope_add_completions -f
        return
        ;;
    '--tap-interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--proxy')
        return
        ;;
    '--proxy-type')
        __sockscope_add_completions -W 'socks4'$'\n''socks4a'$'\n''socks5'$'\n''http'
        return
        ;;
    '--proxy-auth')
        return
        ;;
    '--proxy-dns')
        __sockscope_add_completions -W 'local'$'\n''remote'
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    2)
        __sockscope_add_completions -W "$(eval 'awk '\''!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }'\'' /etc/services | sort -u')"
        return
        ;;
    esac
}

_sockscope_merge() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(-oX -oG --color)
    __sockscope_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-oX')
        return
        ;;
    '-oG')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_resolve() {
    repeating_flags=()
    non_repeating_flags=(-4 -6 --passive --numeric-host --numeric-service --addrconfig --v4mapped --ai-all --all --gethostbyname --fqdn --reverse --name-required --json --version -h --help)
    repeating_options=()
    non_repeating_options=(--type --service --port --color)
    __sockscope_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--type')
        __sockscope_add_completions -W 'stream'$'\n''dgram'$'\n''raw'
        return
        ;;
    '--service')
        return
        ;;
    '--port')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_tap() {
    repeating_flags=(-t -n)
    non_repeating_flags=(--pcapng --tap-payload -q --wide --summary --json --version -h --help)
    repeating_options=()
    non_repeating_options=(-i --interface -r --read -c --count --duration -w --pcap-out --time --diagram --plot --conversation --color)
    __sockscope_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-i'|'--interface')
        __sockscope_add_completions -W "$(eval 'ls /sys/class/net')"
        return
        ;;
    '-r'|'--read')
        __sockscope_add_completions -f
        return
        ;;
    '-c'|'--count')
        return
        ;;
    '--duration')
        return
        ;;
    '-w'|'--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--time')
        __sockscope_add_completions -W 'relative'$'\n''none'$'\n''epoch'$'\n''delta'$'\n''absolute'$'\n''start'
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--conversation')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_sockets() {
    repeating_flags=()
    non_repeating_flags=(-t --tcp -u --udp -x --unix -4 -6 -l --listening -a --all -n --numeric --wide -p --processes --json --version -h --help)
    repeating_options=()
    non_repeating_options=(--port --state --pid --color)
    __sockscope_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--port')
        return
        ;;
    '--state')
        __sockscope_add_completions -W 'listen'$'\n''established'$'\n''syn-sent'$'\n''syn-recv'$'\n''fin-wait-1'$'\n''fin-wait-2'$'\n''time-wait'$'\n''close-wait'$'\n''last-ack'$'\n''closing'$'\n''closed'$'\n''unconn'
        return
        ;;
    '--pid')
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_demo() {
    repeating_flags=()
    non_repeating_flags=(-6 --json --pcapng --no-packets --tls --version -h --help)
    repeating_options=()
    non_repeating_options=(--pcap-out --diagram --plot --color)
    __sockscope_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--pcap-out')
        __sockscope_add_completions -f
        return
        ;;
    '--diagram')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--plot')
        __sockscope_add_completions -o plusdirs -fX '!*.@(svg)'
        return
        ;;
    '--color')
        __sockscope_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    esac
}

_sockscope_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __sockscope_offer_flags_options -1
}

complete -o filenames -F _sockscope sockscope
