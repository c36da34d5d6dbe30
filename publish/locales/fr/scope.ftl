# Ce qu’un éditeur rattaché à des calendriers peut corriger
# (publish/src/admin/scope.rs) : l’API et la console.

console-scope-title = Hors de vos calendriers
scope-event = L’événement { $id } n’appartient à aucun de vos calendriers ({ $calendars }) : vous ne pouvez ni le consulter ni le modifier ici. Demandez à un administrateur ou à un éditeur de son calendrier.
scope-venue = Aucun événement de vos calendriers ({ $calendars }) n’a lieu à « { $id } » : vous ne pouvez pas modifier ni fusionner ce lieu. Demandez à un administrateur.
scope-manual = Aucun de vos calendriers ({ $calendars }) ne comprend les événements saisis à la main : un administrateur doit ajouter « { $source } » aux sources du calendrier.
scope-undo = La modification { $id } du journal ne porte sur aucun événement ni aucun lieu de vos calendriers ({ $calendars }) : seul un administrateur peut l’annuler.
