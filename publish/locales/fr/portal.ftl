# The public portal (/), its forms, the month view, /sources and /embed.

## The list of events.
portal-title = Agenda culturel
portal-events = Événements
portal-count = { $count ->
    [0] Aucun événement
    [one] { $count } événement
   *[other] { $count } événements
}
portal-next = Événements suivants →
portal-no-match = Aucun événement ne correspond à cette recherche.

## The search form.
portal-search-label = Rechercher des événements
portal-search-field = Recherche
portal-from = Du
portal-to = Au (exclu)
portal-category = Catégorie
portal-all-categories = Toutes les catégories
portal-venue = Lieu
portal-territory = Territoire
portal-all-territories = Tous les territoires
portal-all-venues = Tous les lieux
portal-search-button = Rechercher

## List or month.
portal-view = Affichage
portal-view-list = Liste
portal-view-month = Mois
portal-months = Mois

## Subscribing.
portal-subscribe = S’abonner
portal-subscribe-help = Ces liens suivent la recherche en cours : votre agenda se met à jour tout seul.
portal-subscribe-webcal = Apple Calendrier, Thunderbird (webcal)
portal-subscribe-ics = Fichier iCalendar (.ics)

## Embedding.
portal-embed = Intégrer
portal-embed-help = Copiez un de ces extraits dans votre site pour y afficher la recherche en cours.
portal-embed-limit = Nombre d’événements
portal-embed-update = Mettre à jour
portal-embed-widget = Widget (script)
portal-embed-iframe = Iframe (si votre site refuse les scripts)
portal-copy = Copier
portal-copied = Copié
# The /embed page without JavaScript.
portal-embed-see-calendar = Voir l’agenda

## /sources, the sources' health.
portal-sources-title = État des sources
portal-sources-summary-ok = { $count } en ordre
portal-sources-summary-failing = { $count } en erreur
portal-sources-summary-total = { $count ->
    [one] { $count } source
   *[other] { $count } sources
}
portal-sources-timezone = heures de { $zone }
portal-sources-caption = Les mêmes données que /api/v1/sources.
portal-sources-col-source = Source
portal-sources-col-status = État
portal-sources-col-last-fetch = Dernière lecture
portal-sources-col-last-success = Dernier succès
portal-sources-col-last-error = Dernière erreur
portal-sources-col-events = Événements
portal-sources-col-next-run = Prochaine lecture
# A source whose kind is neither configured nor yet detected.
portal-sources-kind-unknown = type encore inconnu
portal-sources-status-ok = En ordre
portal-sources-status-error = Erreur
# Read without error but nothing found where something was expected.
portal-sources-status-warning = À vérifier
portal-sources-silent = Lue sans erreur, mais aucun événement reconnu : voir le détail pour la correction probable.
portal-sources-status-never = Jamais lue
# Unfolds the error's raw message, under the sentence that explains it.
portal-sources-error-detail = Détail technique

error-calendar-not-found-title = Agenda introuvable
error-calendar-not-found = Il n’y a pas d’agenda « { $id } » ici.
