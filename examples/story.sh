#!/usr/bin/env bash
# A month of informational interviews, recorded into a fresh store, then the views.
#
# Maya is a product designer moving into UX research. She records each step as
# it happens; COFFEECHAT_NOW moves the clock so the story is the same every run.
#
#   bash examples/story.sh            # uses `coffeechat` from PATH
#   COFFEECHAT=.venv/bin/coffeechat bash examples/story.sh
#   KEEP=1 bash examples/story.sh     # keep the store and print where it is
set -euo pipefail

cc=${COFFEECHAT:-coffeechat}
work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
export COFFEECHAT_HOME="$work" COFFEECHAT_DB="$work/story.db"

at() { export COFFEECHAT_NOW="$1"; }
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain"; }
quiet() { "$cc" "$@" >/dev/null; }

say "Late October: people to talk to"
at 2026-10-26T09:00:00Z
quiet add "Priya Raman" --company Northwind --role "UX Research Lead" \
  --email priya@northwind.example --how-met "Research meetup, Oct 24" --tag research
quiet add "Dana Kim" --company Fabrikam --role "Design Manager" \
  --linkedin https://www.linkedin.com/in/dana-kim-example --tag design
quiet add "Alex Chen" --company Contoso --role "Senior Designer" \
  --how-met "worked together at Litware" --tag former-colleague
quiet add "Sam Okafor" --company "Tailspin Toys" --role "Staff Researcher" --tag research
echo "four contacts added"

say "The asks go out"
at 2026-10-27T10:00:00Z
quiet ask priya --via email
quiet ask dana --via linkedin
quiet ask sam --via email
echo "asked Priya, Dana and Sam"

say "Alex was met back in the summer and never checked in on since"
at 2026-10-27T11:00:00Z
quiet met alex --on 2026-07-20T17:00:00Z --notes "Coffee near the old office" \
  --takeaway "research ops roles are opening up"
quiet thank alex --on 2026-07-21T09:00:00Z --via email

say "Priya says yes; the call is scheduled"
at 2026-10-29T15:00:00Z
quiet answer priya accepted
quiet schedule priya --at 2026-11-04T16:00:00Z --minutes 30 --where "Google Meet"

say "The call with Priya, recorded that evening"
at 2026-11-04T19:00:00Z
quiet met priya --on 2026-11-04T16:00:00Z \
  --notes "Her team runs mixed-methods studies; hiring a junior researcher in Q1" \
  --takeaway "lead with one end-to-end study in the portfolio, not five screenshots" \
  --takeaway "learn survey design basics (she recommended a course)" \
  --referral "Tomás Silva" \
  --commitment "send my case study on the onboarding redesign" --due 2026-11-07
quiet edit "Tomás" --company Contoso --role "Research Ops Manager"

say "Sam answers and a call is set for next week"
at 2026-11-05T09:00:00Z
quiet answer sam accepted
quiet schedule sam --at 2026-11-10T15:00:00Z --where "Zoom"

say "A week after the ask, Dana has not answered"
at 2026-11-06T09:00:00Z
quiet note dana "Posted about their design-system rewrite; worth mentioning"

say "Where things stand on the morning of November 9th"
at 2026-11-09T09:00:00Z
"$cc" contacts
echo
"$cc" due
if [ -n "${KEEP:-}" ]; then
  echo
  echo "Store kept at $COFFEECHAT_DB (COFFEECHAT_NOW=$COFFEECHAT_NOW)"
fi
