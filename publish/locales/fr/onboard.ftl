# Adding a member by its address, and the events entered by hand.

onboard-manual-source = Saisie manuelle
onboard-preview-nothing = Aucun événement reconnu à cette adresse : indiquez des sélecteurs (où se trouvent le titre et la date de chaque événement), ou demandez au membre l'adresse de son calendrier (ICS) ou de son flux (RSS).
onboard-preview-nothing-feed = Aucun événement reconnu sur cette page : indiquez des sélecteurs, ou utilisez le flux annoncé par la page ({ $feed }).
onboard-preview-warnings = { $count ->
    [one] Un élément n'a pas pu être lu ; les autres événements sont bien là. Détail : { $detail }
   *[other] { $count } éléments n'ont pas pu être lus ; les autres événements sont bien là. Premier détail : { $detail }
}
onboard-preview-more = { $count } événements trouvés : l'aperçu n'en montre que { $shown }.
onboard-preview-bad-url = Indiquez une adresse complète qui commence par http:// ou https://.
onboard-preview-refused = Cette adresse mène à un réseau privé ou local, que babillard ne lit pas (réglage allow_private_networks) : indiquez l'adresse publique du site.
onboard-preview-timeout = Le site n'a pas répondu à temps : réessayez plus tard, ou vérifiez l'adresse dans un navigateur.
onboard-preview-status = Le site a répondu par une erreur ({ $detail }) : ouvrez l'adresse dans un navigateur et corrigez-la.
onboard-preview-unreachable = Le site est injoignable ({ $detail }) : vérifiez l'adresse.
onboard-preview-too-large = La page est trop volumineuse pour être lue : cherchez l'adresse d'un calendrier (ICS) ou d'un flux (RSS) plus léger.
onboard-preview-unknown-kind = Impossible de reconnaître ce qui se trouve à cette adresse ({ $detail }) : ce n'est ni un calendrier, ni un flux, ni une page d'événements lisible.
onboard-preview-failed = La lecture de cette adresse a échoué : { $detail }
onboard-unavailable = La gestion des sources n'est pas disponible dans ce processus : lancez babillard avec run ou serve.
