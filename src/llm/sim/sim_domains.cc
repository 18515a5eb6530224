// General words (concretizing) and domains/topics (breadth) of the sim rewriter.
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "llm/sim/sim_lexicon.h"
#include "llm/sim/sim_text.h"

namespace teamsrl::llm::sim {
namespace {

// Specifics are article-free so "cook the food" and "cook food" both read well, have at
// least three content words, and contain no general word (so concretizing terminates).
constexpr GeneralWord kGeneral[] = {
    {"food",
     {"vegetarian lasagna with spinach and ricotta", "Thai green curry with jasmine rice",
      "Moroccan lamb tagine with dried apricots"}},
    {"foods",
     {"fermented vegetables such as kimchi and sauerkraut",
      "whole grains like quinoa, barley and buckwheat",
      "legumes such as lentils, chickpeas and black beans"}},
    {"dish",
     {"Spanish seafood paella cooked over an open flame",
      "Japanese miso ramen with a soft-boiled egg",
      "French onion soup topped with melted gruyere"}},
    {"meal",
     {"three-course dinner for six guests", "high-protein breakfast under 500 calories",
      "packed lunch for a primary-school child"}},
    {"drink",
     {"cold-brew coffee steeped for eighteen hours", "homemade ginger beer with fresh lime",
      "matcha latte made with oat milk"}},
    {"things",
     {"checklists, timers and written weekly plans",
      "habits such as journaling, stretching and early bedtimes",
      "purchases such as groceries, utility bills and rent"}},
    {"stuff",
     {"kitchen utensils, spare cables and seasonal clothing",
      "paperwork such as receipts, warranties and tax forms",
      "camping gear including tents, stoves and sleeping bags"}},
    {"something",
     {"a handwritten letter to a former teacher", "a small vegetable patch on a balcony",
      "a weekly podcast about local history"}},
    {"people",
     {"first-year university students", "retired engineers living alone",
      "night-shift nurses in busy hospitals"}},
    {"person",
     {"freelance graphic designer", "elderly neighbour with limited mobility",
      "high-school chemistry teacher"}},
    {"place",
     {"small coastal town in Portugal", "mountain hut in the Swiss Alps",
      "busy night market in Taipei"}},
    {"places",
     {"national parks such as Yosemite and Banff",
      "historic districts like Kyoto's Gion and Prague's Old Town",
      "island towns such as Hvar and Symi"}},
    {"city",
     {"Lisbon's hilly Alfama district", "Osaka during cherry blossom season",
      "Montreal in the depths of winter"}},
    {"country",
     {"landlocked Bolivia in South America", "Iceland with its volcanic landscape",
      "Vietnam along its long coastline"}},
    {"ways",
     {"concrete strategies such as weekly planning and peer review",
      "low-cost approaches such as public libraries and free online courses",
      "proven techniques such as spaced repetition and deliberate practice"}},
    {"method",
     {"Pomodoro time-boxing technique", "double-entry bookkeeping approach",
      "randomised controlled trial design"}},
    {"methods",
     {"Kanban boards and daily stand-up meetings", "interviews, surveys and field observation",
      "spaced repetition with flashcards and practice tests"}},
    {"tool",
     {"cordless drill with a torque clutch", "spreadsheet with pivot tables",
      "Git version control system"}},
    {"tools",
     {"chef's knife, mandoline slicer and digital thermometer",
      "Python, pandas and Jupyter notebooks", "hand saw, chisel set and block plane"}},
    {"device",
     {"Raspberry Pi 4 single-board computer", "fitness tracker with a heart-rate sensor",
      "e-reader with an electronic-ink screen"}},
    {"software",
     {"open-source LibreOffice suite", "PostgreSQL relational database",
      "Blender 3D modelling suite"}},
    {"program",
     {"command-line Python script that renames photos", "Rust web server handling JSON requests",
      "after-school robotics club curriculum"}},
    {"language",
     {"Rust with its borrow checker", "Japanese with its three writing systems",
      "Mexican Spanish as spoken in Guadalajara"}},
    {"book",
     {"Orwell's novel Nineteen Eighty-Four", "Darwin's On the Origin of Species",
      "field guide to North American birds"}},
    {"books",
     {"classic detective novels by Agatha Christie", "illustrated field guides to mushrooms",
      "graphic novels about world history"}},
    {"animal",
     {"red fox living in urban parks", "African elephant in the Serengeti",
      "Atlantic puffin nesting on sea cliffs"}},
    {"plant",
     {"tomato vine grown in a balcony container", "Japanese maple bonsai tree",
      "lavender bush in dry sandy soil"}},
    {"sport",
     {"competitive indoor rowing", "women's professional football", "long-distance trail running"}},
    {"game",
     {"chess opening known as the Sicilian Defence", "cooperative tabletop classic Pandemic",
      "Minecraft survival mode"}},
    {"music",
     {"baroque harpsichord sonatas by Scarlatti", "West African highlife guitar",
      "1970s Detroit soul records"}},
    {"movie",
     {"Kurosawa's film Seven Samurai", "Pixar's animated feature Inside Out",
      "climbing documentary Free Solo"}},
    {"art",
     {"Dutch Golden Age portrait painting", "Japanese woodblock printing",
      "street murals in Mexico's capital"}},
    {"vehicle",
     {"used electric hatchback with 200 miles of range", "cargo bicycle with an electric motor",
      "diesel camper van for long trips"}},
    {"company",
     {"family-owned bakery with twelve employees", "mid-sized logistics startup in Rotterdam",
      "regional credit union serving farmers"}},
    {"product",
     {"reusable stainless-steel water bottle", "weekly recipe-box subscription",
      "noise-cancelling wireless headphones"}},
    {"job",
     {"junior analyst position at a hospital", "night-shift warehouse supervisor role",
      "remote customer-support position at a travel agency"}},
    {"skill",
     {"touch typing at sixty words per minute", "public speaking in front of large audiences",
      "knife handling for fine julienne cuts"}},
    {"exercise",
     {"kettlebell swings with a 16 kg bell", "interval sprints on a stationary bike",
      "yoga sun salutation sequence"}},
    {"problem",
     {"recurring leak under a kitchen sink", "memory leak in a long-running Node.js service",
      "late-payment backlog at a small firm"}},
    {"topic",
     {"causes of the 1929 stock market crash", "history of the printing press",
      "ethics of gene editing in embryos"}},
    {"event",
     {"outdoor wedding for eighty guests", "neighbourhood charity fun run",
      "two-day academic workshop on climate modelling"}},
    {"activity",
     {"weekend rock-climbing course", "evening pottery class for adults",
      "guided birdwatching walk at dawn"}},
    {"material",
     {"cross-laminated timber panels", "recycled PET plastic fibre",
      "lime-based plaster for old walls"}},
    {"equipment",
     {"home espresso machine with a steam wand", "entry-level DSLR camera kit",
      "portable solar panel with a power bank"}},
};

constexpr std::string_view kCookingKw[] = {
    "cook",    "cooking", "food",   "recipe",    "bake",       "baking",
    "kitchen", "dish",    "meal",   "chef",      "ingredient", "ingredients",
    "flavour", "spice",   "dinner", "breakfast", "lunch",      "vegetarian"};
constexpr std::string_view kCookingTopics[] = {
    "fermenting vegetables at home",    "baking bread with a sourdough starter",
    "cooking with cast-iron pans",      "making fresh pasta by hand",
    "smoking fish over wood chips",     "preserving summer fruit as jam",
    "balancing flavours in spicy food", "planning meals on a tight budget"};
constexpr std::string_view kCodeKw[] = {"code",      "coding",     "program", "software",
                                        "python",    "function",   "bug",     "debug",
                                        "algorithm", "database",   "sql",     "api",
                                        "compiler",  "javascript", "server",  "programming"};
constexpr std::string_view kCodeTopics[] = {
    "writing unit tests for legacy code",     "profiling a slow database query",
    "designing a REST API for a small shop",  "refactoring tangled Python scripts",
    "handling errors in concurrent programs", "choosing a data structure for fast lookups",
    "reviewing pull requests effectively",    "securing a web login form"};
constexpr std::string_view kHealthKw[] = {"health",  "healthy", "sleep",  "diet",   "fitness",
                                          "doctor",  "stress",  "heart",  "muscle", "nutrition",
                                          "vitamin", "disease", "mental", "injury"};
constexpr std::string_view kHealthTopics[] = {
    "improving sleep after night shifts",   "building strength after a knee injury",
    "managing stress during exam season",   "reading nutrition labels correctly",
    "starting a running habit after forty", "reducing screen time before bed",
    "staying hydrated during hot summers",  "recovering energy after a long illness"};
constexpr std::string_view kTravelKw[] = {"travel",   "trip",  "flight",  "hotel",
                                          "tourist",  "visit", "journey", "luggage",
                                          "passport", "beach", "holiday", "vacation"};
constexpr std::string_view kTravelTopics[] = {"planning a rail journey across Europe",
                                              "packing light for a two-week trip",
                                              "visiting remote islands off season",
                                              "travelling with toddlers on long flights",
                                              "finding quiet corners in crowded tourist towns",
                                              "hiking safely in high mountains",
                                              "budget travel in Southeast Asia",
                                              "learning local customs before a visit"};
constexpr std::string_view kFinanceKw[] = {
    "money", "budget", "save", "saving", "savings", "invest",     "investing", "tax",
    "loan",  "debt",   "bank", "income", "salary",  "retirement", "stock",     "finance"};
constexpr std::string_view kFinanceTopics[] = {"building an emergency fund from scratch",
                                               "paying off student loans faster",
                                               "choosing index funds for retirement",
                                               "filing taxes as a freelancer",
                                               "negotiating a higher salary",
                                               "tracking monthly expenses in a spreadsheet",
                                               "understanding compound interest",
                                               "saving for a first home deposit"};
constexpr std::string_view kHistoryKw[] = {"history",      "historical", "war",    "empire",
                                           "ancient",      "century",    "king",   "revolution",
                                           "civilization", "medieval",   "dynasty"};
constexpr std::string_view kHistoryTopics[] = {
    "daily life in ancient Rome",       "causes of the French Revolution",
    "trade along the Silk Road",        "the fall of the Byzantine Empire",
    "women's roles in medieval guilds", "the invention of the printing press",
    "the origins of public libraries",  "how ancient sailors navigated by the stars"};
constexpr std::string_view kScienceKw[] = {
    "science", "scientific", "physics", "chemistry", "biology", "experiment", "energy",
    "atom",    "planet",     "climate", "cell",      "gravity", "evolution"};
constexpr std::string_view kScienceTopics[] = {
    "why the sky changes colour at sunset", "how vaccines train the immune system",
    "the physics of ocean tides",           "how bees communicate through dance",
    "measuring the speed of sound at home", "why leaves change colour in autumn",
    "how batteries store energy",           "the life cycle of stars"};
constexpr std::string_view kEducationKw[] = {
    "learn", "learning", "study",      "school", "student",  "students", "teacher",
    "teach", "exam",     "university", "course", "homework", "lesson"};
constexpr std::string_view kEducationTopics[] = {"memorising vocabulary in a new language",
                                                 "preparing for oral exams",
                                                 "teaching fractions to ten-year-olds",
                                                 "taking useful notes in lectures",
                                                 "staying motivated in online courses",
                                                 "writing a strong college essay",
                                                 "organising a study group",
                                                 "learning to read sheet music as an adult"};
constexpr std::string_view kGardenKw[] = {"garden", "gardening", "plants",   "grow",   "growing",
                                          "soil",   "seed",      "seeds",    "flower", "flowers",
                                          "tree",   "compost",   "vegetable"};
constexpr std::string_view kGardenTopics[] = {
    "composting kitchen scraps on a balcony",   "growing tomatoes in containers",
    "attracting pollinators to a small garden", "pruning fruit trees in winter",
    "starting seeds indoors under lights",      "watering a garden during a drought",
    "keeping slugs away from lettuce",          "planting a native wildflower meadow"};
constexpr std::string_view kArtsKw[] = {"song",   "songs",   "painting", "paint",       "artist",
                                        "draw",   "drawing", "guitar",   "piano",       "poem",
                                        "poetry", "novel",   "film",     "photography", "story"};
constexpr std::string_view kArtsTopics[] = {"writing a short story with a twist ending",
                                            "learning watercolour landscape painting",
                                            "composing a simple melody on piano",
                                            "taking portrait photos in natural light",
                                            "writing haiku about the seasons",
                                            "sketching strangers in cafes",
                                            "recording a song at home",
                                            "analysing a classic silent film"};
constexpr std::string_view kSportsKw[] = {"sports", "football", "soccer", "basketball", "tennis",
                                          "run",    "running",  "swim",   "swimming",   "team",
                                          "coach",  "training", "match",  "cycling"};
constexpr std::string_view kSportsTopics[] = {
    "coaching a youth football team",    "improving a tennis serve",
    "training for a first marathon",     "learning to swim as an adult",
    "preventing injuries in basketball", "pacing a long cycling race",
    "choosing running shoes for trails", "building team spirit in amateur clubs"};
constexpr std::string_view kHomeKw[] = {"home",      "house", "cleaning", "repair",     "furniture",
                                        "apartment", "roof",  "plumbing", "renovation", "room"};
constexpr std::string_view kHomeTopics[] = {
    "fixing a dripping kitchen tap",  "insulating an old attic",
    "decluttering a small apartment", "removing mould from bathroom walls",
    "assembling flat-pack furniture", "choosing paint colours for a north-facing room",
    "reducing winter heating bills",  "organising a shared family calendar"};

constexpr Domain kDomains[] = {
    {"cooking", kCookingKw, kCookingTopics}, {"programming", kCodeKw, kCodeTopics},
    {"health", kHealthKw, kHealthTopics},    {"travel", kTravelKw, kTravelTopics},
    {"finance", kFinanceKw, kFinanceTopics}, {"history", kHistoryKw, kHistoryTopics},
    {"science", kScienceKw, kScienceTopics}, {"education", kEducationKw, kEducationTopics},
    {"gardening", kGardenKw, kGardenTopics}, {"arts", kArtsKw, kArtsTopics},
    {"sports", kSportsKw, kSportsTopics},    {"home", kHomeKw, kHomeTopics},
};

constexpr std::string_view kBreadthTemplates[] = {
    "What are the best ways for beginners to get started with {topic}?",
    "What things should a newcomer know about {topic}?",
    "Describe the most useful tools and methods for {topic}.",
    "Write a short guide for people who are curious about {topic}.",
    "What are some surprising facts that people overlook about {topic}?",
    "How would you explain {topic} to people with no background in it?",
    "List the key things to consider before {topic}.",
    "Give practical advice on {topic}, including the ways experts approach it.",
    "What common misconceptions do people have about {topic}?",
    "Suggest a weekend plan for exploring {topic}, with the things needed.",
};

// word -> domain, from keywords first, then (if unclaimed) the words of each topic.
struct DomainIndex {
  std::deque<std::string> storage;  // owns topic words; deque keeps them in place
  std::unordered_map<std::string_view, int> map;
};

DomainIndex* BuildDomainIndex() {
  auto* index = new DomainIndex();
  for (int d = 0; d < static_cast<int>(std::size(kDomains)); ++d) {
    for (std::string_view kw : kDomains[d].keywords) index->map.emplace(kw, d);
  }
  for (int d = 0; d < static_cast<int>(std::size(kDomains)); ++d) {
    for (std::string_view topic : kDomains[d].topics) {
      std::string word;
      for (size_t i = 0; i <= topic.size(); ++i) {
        const unsigned char c = i < topic.size() ? topic[i] : ' ';
        if (IsWordByte(c)) {
          word.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
        } else if (!word.empty()) {
          if (word.size() > 3 && !IsStopword(word) && !index->map.contains(word)) {
            index->map.emplace(index->storage.emplace_back(word), d);
          }
          word.clear();
        }
      }
    }
  }
  return index;
}

}  // namespace

std::span<const GeneralWord> GeneralWords() { return kGeneral; }

const GeneralWord* FindGeneralWord(std::string_view lower_word) {
  static const auto* const map = [] {
    auto* m = new std::unordered_map<std::string_view, const GeneralWord*>();
    for (const GeneralWord& g : kGeneral) m->emplace(g.word, &g);
    return m;
  }();
  auto it = map->find(lower_word);
  return it == map->end() ? nullptr : it->second;
}

std::span<const Domain> Domains() { return kDomains; }
std::span<const std::string_view> BreadthTemplates() { return kBreadthTemplates; }

int DomainOfWord(std::string_view lower_word) {
  static const DomainIndex* const index = BuildDomainIndex();
  auto it = index->map.find(lower_word);
  return it == index->map.end() ? -1 : it->second;
}

}  // namespace teamsrl::llm::sim
