# The iCalendar and RSS feeds.
feeds-description = Les événements culturels de { $name }
# Before the description of an RSS item, in capitals to be seen in a feed reader.
feeds-cancelled = ANNULÉ
feeds-postponed = REPORTÉ
