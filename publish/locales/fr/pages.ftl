# The event page, /events/{id}.
pages-venue = Lieu
pages-map = Voir sur la carte
# After the map link, when the venue is only placed at its town's centre.
pages-approximate = (position approximative : centre de la municipalité)
pages-territories = Territoire
pages-categories = Catégories
pages-price = Prix : { $price }
pages-organizer = Organisé par : { $organizer }
pages-more-info = Plus d’information
pages-add-to-calendar = Ajouter à mon agenda
pages-ics-file = Fichier iCalendar (Apple, Outlook, Thunderbird)
# The sources an event was read from.
pages-sources = { $count ->
    [one] Source
   *[other] Sources
}
