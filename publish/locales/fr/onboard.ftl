# Adding a member by its address, and the events entered by hand.

onboard-manual-source = Saisie manuelle
onboard-preview-nothing = Aucun événement reconnu à cette adresse : indiquez des sélecteurs (où se trouvent le titre et la date de chaque événement), ou demandez au membre l’adresse de son calendrier (ICS) ou de son flux (RSS).
onboard-preview-nothing-feed = Aucun événement reconnu sur cette page : indiquez des sélecteurs, ou utilisez le flux annoncé par la page ({ $feed }).
onboard-preview-warnings = { $count ->
    [one] Un élément n’a pas pu être lu ; les autres événements sont bien là. Détail : { $detail }
   *[other] { $count } éléments n’ont pas pu être lus ; les autres événements sont bien là. Premier détail : { $detail }
}
onboard-preview-more = { $count } événements trouvés : l’aperçu n’en montre que { $shown }.
onboard-preview-bad-url = Indiquez une adresse complète qui commence par http:// ou https://.
onboard-unavailable = La gestion des sources n’est pas disponible dans ce processus : lancez babillard avec run ou serve.
