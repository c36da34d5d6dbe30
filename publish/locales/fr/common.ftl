# Messages shared by every page. French is the reference language.
language-name = Français
events-count = { $count ->
    [0] { $count } événement
    [one] { $count } événement
   *[other] { $count } événements
}

## The page frame (layout.rs).
skip-to-content = Aller au contenu
language-switch = Langue
footer-sources = Sources

## Dates and times. The names of days and months are data, kept in Rust
## tables (layout.rs); how they are put together is here.
# "samedi 5 décembre 2026", "mardi 1er décembre 2026".
date-long = { $weekday } { $day ->
    [1] 1er
   *[other] { $day }
    } { $month } { $year }
# "20 h", "20 h 05". $mm is the minute on two digits.
time-of-day = { $minute ->
    [0] { $hour } h
   *[other] { $hour } h { $mm }
}
# "décembre 2026".
month-year = { $month } { $year }
# "samedi 5 décembre 2026, 20 h".
when-date-time = { $date }, { $time }
# The end on the same day: "samedi 5 décembre 2026, 20 h à 22 h".
when-same-day = { $start } à { $end }
# Over several days: "du samedi 5 décembre 2026 au dimanche 6 décembre 2026".
when-range = du { $start } au { $end }
when-all-day = Toute la journée
# The last day of an event over several days, in a day's list.
when-until = jusqu’au { $date }

## An event's status.
status-cancelled = Annulé
status-postponed = Reporté

## Calendar services (their names in each language).
google-calendar = Google Agenda
