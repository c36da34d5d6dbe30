# The event page, /events/{id}.
pages-venue = Venue
pages-map = View on the map
pages-approximate = (approximate position: town centre)
pages-territories = Territory
pages-categories = Categories
pages-price = Price: { $price }
pages-organizer = Organized by: { $organizer }
pages-more-info = More information
pages-add-to-calendar = Add to my calendar
pages-ics-file = iCalendar file (Apple, Outlook, Thunderbird)
pages-sources = { $count ->
    [one] Source
   *[other] Sources
}
