# Messages shared by every page. French is the reference language.
language-name = Français
events-count = { $count ->
    [0] { $count } événement
    [one] { $count } événement
   *[other] { $count } événements
}
